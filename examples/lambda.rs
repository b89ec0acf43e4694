//! An AWS Lambda function (`lambda_http`) whose `GET /me` needs a Cognito token and whose
//! `GET /admin` also needs the group `admins`: the same layer and guards as an axum server.
//!
//! Build and run it locally with cargo-lambda (`cargo install cargo-lambda`):
//!
//! ```text
//! cargo lambda watch --example lambda --features lambda,test-util   # the local runtime API
//! cargo lambda invoke --example lambda --data-file event.json        # in another shell
//! ```
//!
//! and deploy it (an ARM function; `cargo lambda deploy` creates or updates it):
//!
//! ```text
//! cargo lambda build --release --arm64 --example lambda --features lambda,test-util
//! cargo lambda deploy --example lambda --env-var COGNITO_USER_POOL_ID=eu-west-1_AbC123 \
//!     --env-var COGNITO_CLIENT_ID=4r1ktl3f2lrrvc1e5e0hdh1gjo
//! ```
//!
//! The variables are `tower_cognito::env`'s (`COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`,
//! `COGNITO_TOKEN_USE`, `COGNITO_JWKS_URL`, ...), and:
//! - `LAMBDA_AUTH`: `bearer` (default: the function verifies the `Authorization` header itself),
//!   or `gateway` (API Gateway's Cognito or JWT authorizer verified the token; the function reads
//!   its claims from the request context with `lambda::GatewayClaimsLayer`).
//! - `COGNITO_JWKS`: the pool's JWKS document itself, bundled with the function (its
//!   configuration or a file you read): no fetch at cold start, but a key rotation is missed
//!   until redeployed. Without it the keys are fetched at cold start, waiting at most
//!   `LAMBDA_STARTUP_TIMEOUT_MS` (default 2000).
//!
//! Without `COGNITO_USER_POOL_ID` it runs offline: an embedded issuer plays the user pool and the
//! function prints a token to put in an event's `Authorization` header.

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};
use tower_cognito::guard::GuardLayer;
use tower_cognito::jwks::KeySet;
use tower_cognito::lambda::GatewayClaimsLayer;
use tower_cognito::test_util::OfflineIssuer;
use tower_cognito::{Claims, CognitoAuthLayer, CognitoConfig, Require, env::Env};

async fn me(claims: Claims) -> Json<Value> {
    let scopes: Vec<&str> = claims.scope.iter().collect();
    Json(json!({
        "sub": claims.sub, "token_use": claims.token_use.as_str(),
        "username": claims.username(), "groups": claims.groups, "scopes": scopes,
    }))
}

async fn admin(claims: Claims) -> String {
    format!("hello admin {}", claims.username().unwrap_or(&claims.sub))
}

/// The function's routes: the guard is the same whichever layer put the claims in.
fn routes() -> Result<Router, Box<dyn Error>> {
    Ok(Router::new().route("/me", get(me)).route(
        "/admin",
        get(admin).route_layer(GuardLayer::new(Require::groups_any(["admins"])?)),
    ))
}

async fn run() -> Result<(), Box<dyn Error + Send + Sync>> {
    let env = Env::process();
    let gateway = match env.var("LAMBDA_AUTH").as_deref() {
        None | Some("bearer") => false,
        Some("gateway") => true,
        Some(_) => return Err("LAMBDA_AUTH must be `bearer` or `gateway`".into()),
    };
    let wait = match env.var("LAMBDA_STARTUP_TIMEOUT_MS") {
        Some(ms) => Duration::from_millis(ms.parse().map_err(|_| "LAMBDA_STARTUP_TIMEOUT_MS")?),
        None => Duration::from_secs(2),
    };
    let (real, bundled) = (
        env.config().map_err(|e| e.to_string())?,
        env.var("COGNITO_JWKS"),
    );
    let routes = routes().map_err(|e| e.to_string())?;
    let (config, offline) = match real {
        Some(real) => (real.startup_timeout(wait).build()?, None),
        None => {
            let offline = OfflineIssuer::start(env.token_use()?, &["users", "admins"]).await?;
            (offline.config().build()?, Some(offline))
        }
    };
    if gateway {
        println!(
            "claims from the API Gateway authorizer, pool {}",
            config.user_pool_id()
        );
        return lambda_http::run(routes.layer(GatewayClaimsLayer::new(&config))).await;
    }
    let auth = bearer_layer(config, bundled.as_deref()).await?;
    if let Some(offline) = &offline {
        offline.banner().iter().for_each(|line| println!("{line}"));
        println!(
            "put this in the event's headers: \"authorization\": \"Bearer {}\"",
            offline.token()
        );
    }
    lambda_http::run(routes.layer(auth)).await
}

/// The layer verifying bearer tokens, with keys bundled with the function or fetched once at
/// cold start (no background refresh can be relied on: Lambda freezes the environment between
/// invocations, so a refresh happens when a request needs it).
async fn bearer_layer(
    config: CognitoConfig,
    bundled: Option<&str>,
) -> Result<CognitoAuthLayer, Box<dyn Error + Send + Sync>> {
    let builder = CognitoAuthLayer::builder(config);
    Ok(match bundled {
        Some(jwks) => builder
            .static_keys(KeySet::from_jwks(jwks.as_bytes())?)
            .build()?,
        None => builder.start().await?,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let Err(e) = run().await else {
        return ExitCode::SUCCESS;
    };
    eprintln!("lambda: error: {e}");
    ExitCode::FAILURE
}
