//! Quick start: an axum API whose `/me` route needs a Cognito token (an access token by default)
//! and whose `/admin` route also needs the Cognito group `admins`.
//!
//! ```text
//! cargo run --example quickstart --features test-util
//! ```
//!
//! Offline (no `COGNITO_USER_POOL_ID`): an embedded `LocalIssuer` serves its JWKS on loopback and
//! the server prints an access token, an ID token and a `curl` command. Real mode verifies your
//! pool's tokens: `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID` (comma-separated), optional
//! `COGNITO_REGION` and `COGNITO_JWKS_URL`. In both modes `COGNITO_TOKEN_USE` is `access`
//! (default), `id` or `any`, and `BIND_ADDR` is the listen address (default `127.0.0.1:3000`).
//! The table of variables, and how they are read, is in `examples/common/mod.rs`.

// `pub(crate)`: the bench server reaches the shared set-up through this module.
#[path = "common/mod.rs"]
pub(crate) mod common;

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::{Json, Router, response::IntoResponse, routing::get};
use serde::Serialize;
use tower_cognito::{Claims, CognitoAuthLayer, Require};

use common::{Auth, Settings};

/// Where to listen when `BIND_ADDR` is not set.
pub(crate) const DEFAULT_BIND_ADDR: &str = "127.0.0.1:3000";

/// `GET /health` and `GET /ready` (200 when the keys are loaded and fresh, else 503) are public;
/// `GET /me` goes through the layer (`route_layer`: matched routes only), and `GET /admin`
/// through the layer and a guard: members of the group `admins` only.
pub(crate) fn app(auth: CognitoAuthLayer) -> Result<Router, String> {
    let admins = Require::groups_any(["admins"]).map_err(|e| e.to_string())?;
    let auth_ready = auth.readiness_service();
    let protected = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin).route_layer(auth.guard(admins)))
        .route_layer(auth);
    Ok(Router::new()
        .route("/health", get(|| async { "ok" }))
        .route_service("/ready", auth_ready)
        .merge(protected))
}

/// `GET /admin`: only a member of `admins` gets here (anyone else: `403 insufficient_scope`).
async fn admin(claims: Claims) -> String {
    format!("hello admin {}", claims.username().unwrap_or(&claims.sub))
}

/// The body of `GET /me`: a view of the verified claims, borrowed from them.
#[derive(Serialize)]
struct Me<'a> {
    sub: &'a str,
    iss: &'a str,
    token_use: &'static str,
    username: Option<&'a str>,
    client_id: Option<&'a str>,
    groups: &'a [String],
    scopes: Vec<&'a str>,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

pub(crate) async fn me(claims: Claims) -> impl IntoResponse {
    Json(Me {
        sub: &claims.sub,
        iss: &claims.iss,
        token_use: claims.token_use.as_str(),
        username: claims.username(),
        client_id: claims.app_client_id(),
        groups: &claims.groups,
        scopes: claims.scope.iter().collect(),
        exp: claims.exp,
        email: claims.email.as_deref(),
    })
    .into_response()
}

/// The start-up lines: the mode and tokens, a ready `curl` command, `listening on` last.
pub(crate) fn banner(auth: &Auth, addr: SocketAddr) -> Vec<String> {
    let token = auth.try_token();
    let mut lines = auth.banner.clone();
    lines.push("try it:".to_owned());
    for path in ["me", "admin"] {
        lines.push(format!(
            "curl -H \"Authorization: Bearer {token}\" http://{addr}/{path}"
        ));
    }
    lines.push(
        "(GET /admin needs the Cognito group admins: 403 insufficient_scope otherwise)".into(),
    );
    lines.push(format!("listening on http://{addr}"));
    lines
}

/// Binds, builds the layer, prints the banner and serves until Ctrl-C.
pub(crate) async fn run(settings: Settings) -> Result<(), String> {
    let (listener, addr) = common::bind(&settings).await?;
    // `auth` owns the offline issuer: its JWKS server runs until `run` returns.
    let auth = common::auth(&settings).await?;
    for line in banner(&auth, addr) {
        println!("{line}");
    }
    let shutdown = async { drop(tokio::signal::ctrl_c().await) };
    let server = axum::serve(listener, app(auth.layer.clone())?).with_graceful_shutdown(shutdown);
    server.await.map_err(|e| format!("server error: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match common::settings_from_env(common::env, DEFAULT_BIND_ADDR) {
        Ok(settings) => run(settings).await,
        Err(e) => Err(e),
    };
    common::exit("quickstart", result)
}
