//! Quick start: an axum API whose `/me` route is protected by `CognitoAuthLayer`.
//!
//! ```text
//! cargo run --example quickstart --features test-util
//! ```
//!
//! **Offline mode** (no `COGNITO_*` variable set): an embedded `LocalIssuer` mints Cognito-shaped
//! tokens and serves its JWKS on loopback; the server prints an access token, an ID token and a
//! ready `curl` command, so you can try the whole flow without an AWS account.
//!
//! **Real mode** (`COGNITO_USER_POOL_ID` set): verifies tokens of your user pool.
//!
//! | Variable | Meaning |
//! |---|---|
//! | `BIND_ADDR` | Address to listen on, `IP:PORT` (default `127.0.0.1:3000`; port `0` picks a free one) |
//! | `COGNITO_USER_POOL_ID` | The user pool, e.g. `us-east-1_AbC123xyz`; switches to real mode |
//! | `COGNITO_CLIENT_ID` | Allowed app client ids, comma-separated (required in real mode) |
//! | `COGNITO_REGION` | The region, when it is not the pool id's prefix (optional) |
//! | `COGNITO_TOKEN_USE` | `access` (default), `id` or `any` |
//! | `COGNITO_JWKS_URL` | Fetch the keys from here instead of the pool's issuer (https, or http to loopback) |
//!
//! Routes: `GET /health` (no authentication) and `GET /me` (bearer token required; answers the
//! verified claims as JSON).

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use tower_cognito::test_util::{JwksServer, LocalIssuer};
use tower_cognito::{AcceptTokenUse, Claims, CognitoAuthLayer, CognitoConfig, ConfigError};

/// Address used when `BIND_ADDR` is not set.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:3000";

/// Every `COGNITO_*` variable the quick start reads.
pub const COGNITO_VARS: [&str; 5] = [
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_REGION",
    "COGNITO_TOKEN_USE",
    "COGNITO_JWKS_URL",
];

/// What the environment asked for, already validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub bind_addr: SocketAddr,
    /// The user pool to verify tokens of; `None` means offline mode (embedded local issuer).
    pub cognito: Option<CognitoConfig>,
}

/// Reads the settings through `vars` (`std::env::var` in `main`, a map in tests).
///
/// Empty (or all-blank) values count as unset.
///
/// # Errors
/// A one-line message naming the variable that is wrong.
pub fn settings_from_env(vars: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
    let var = |name: &str| {
        vars(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };

    let bind = var("BIND_ADDR").unwrap_or_else(|| DEFAULT_BIND_ADDR.to_owned());
    let bind_addr: SocketAddr = bind.parse().map_err(|_| {
        format!("invalid BIND_ADDR {bind:?}: expected IP:PORT, e.g. {DEFAULT_BIND_ADDR}")
    })?;

    let Some(pool_id) = var("COGNITO_USER_POOL_ID") else {
        // Offline mode, but only if nothing else hints at a real pool: a half-configured real
        // mode must not silently turn into a server that accepts locally minted tokens.
        if let Some(set) = COGNITO_VARS.iter().find(|name| var(name).is_some()) {
            return Err(format!(
                "{set} is set but COGNITO_USER_POOL_ID is not: set COGNITO_USER_POOL_ID for \
                 real mode, or unset every COGNITO_* variable for offline mode"
            ));
        }
        return Ok(Settings {
            bind_addr,
            cognito: None,
        });
    };

    let token_use = match var("COGNITO_TOKEN_USE") {
        None => AcceptTokenUse::Access,
        Some(raw) => AcceptTokenUse::parse(&raw).ok_or_else(|| {
            format!("invalid COGNITO_TOKEN_USE {raw:?}: expected access, id or any")
        })?,
    };
    let client_ids: Vec<String> = var("COGNITO_CLIENT_ID")
        .map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();

    let mut builder = CognitoConfig::builder(pool_id)
        .client_ids(client_ids)
        .token_use(token_use);
    if let Some(region) = var("COGNITO_REGION") {
        builder = builder.region(region);
    }
    if let Some(url) = var("COGNITO_JWKS_URL") {
        builder = builder.jwks_url(url);
    }
    let config = builder.build().map_err(config_error)?;
    Ok(Settings {
        bind_addr,
        cognito: Some(config),
    })
}

/// Names the variable behind a refused configuration.
fn config_error(e: ConfigError) -> String {
    match e {
        ConfigError::MissingClientId => "COGNITO_CLIENT_ID is required when \
            COGNITO_USER_POOL_ID is set (comma-separated app client ids of the pool)"
            .to_owned(),
        ConfigError::InvalidUserPoolId(_) => format!("COGNITO_USER_POOL_ID: {e}"),
        ConfigError::InvalidClientId(_) => format!("COGNITO_CLIENT_ID: {e}"),
        ConfigError::InvalidRegion(_) => format!("COGNITO_REGION: {e}"),
        ConfigError::InvalidJwksUrl { .. } => format!("COGNITO_JWKS_URL: {e}"),
        other => format!("invalid Cognito configuration: {other}"),
    }
}

/// The embedded issuer of offline mode. Keep it alive while serving: dropping it stops its JWKS
/// server.
#[derive(Debug)]
pub struct OfflineIssuer {
    /// The issuer that minted the tokens.
    pub issuer: LocalIssuer,
    /// Its JWKS server on loopback.
    pub jwks: JwksServer,
    /// A valid access token (1 h).
    pub access_token: String,
    /// A valid ID token (1 h).
    pub id_token: String,
}

/// What the server tells the user at start-up.
#[derive(Debug)]
pub enum Banner {
    /// Offline mode, with the embedded issuer and its tokens.
    Offline(Box<OfflineIssuer>),
    /// Real mode.
    Real {
        /// The user pool.
        user_pool_id: String,
        /// The issuer tokens must carry.
        issuer: String,
        /// Where the keys come from.
        jwks_url: String,
        /// Accepted token kinds.
        token_use: AcceptTokenUse,
        /// Allowed app clients.
        client_ids: Vec<String>,
    },
}

impl Banner {
    /// The lines printed at start-up, the last one being `listening on http://{addr}`.
    pub fn lines(&self, addr: SocketAddr) -> Vec<String> {
        let mut lines = Vec::new();
        match self {
            Self::Offline(offline) => {
                lines.push(
                    "offline mode: no COGNITO_* variable set, tokens come from an embedded local issuer"
                        .to_owned(),
                );
                lines.push(format!(
                    "user pool {} (issuer {}, JWKS {}, token use any, app client {})",
                    offline.issuer.user_pool_id(),
                    offline.issuer.issuer(),
                    offline.jwks.jwks_url(),
                    offline.issuer.client_id(),
                ));
                lines.push(format!("access token: {}", offline.access_token));
                lines.push(format!("id token: {}", offline.id_token));
                lines.push("(tokens valid for 1 hour; restart for fresh ones)".to_owned());
                lines.push("try it:".to_owned());
                lines.push(format!(
                    "curl -H \"Authorization: Bearer {}\" http://{addr}/me",
                    offline.access_token
                ));
            }
            Self::Real {
                user_pool_id,
                issuer,
                jwks_url,
                token_use,
                client_ids,
            } => {
                lines.push(format!(
                    "real mode: user pool {user_pool_id} (issuer {issuer}, JWKS {jwks_url}, \
                     token use {}, app clients {})",
                    token_use.as_str(),
                    client_ids.join(",")
                ));
                lines.push("try it, with a token of this pool in $TOKEN:".to_owned());
                lines.push(format!(
                    "curl -H \"Authorization: Bearer $TOKEN\" http://{addr}/me"
                ));
            }
        }
        lines.push(format!("listening on http://{addr}"));
        lines
    }
}

/// Builds the layer (waiting for the first key set) and the router.
///
/// In offline mode this starts the embedded issuer; the returned [`Banner`] owns it.
///
/// # Errors
/// A one-line message when the issuer cannot start or the keys cannot be loaded.
pub async fn build(settings: &Settings) -> Result<(Router, Banner), String> {
    match &settings.cognito {
        Some(config) => {
            let jwks_url = config.jwks_url().to_owned();
            let layer = CognitoAuthLayer::new(config.clone())
                .await
                .map_err(|e| format!("could not load the signing keys from {jwks_url}: {e}"))?;
            let banner = Banner::Real {
                user_pool_id: config.user_pool_id().to_owned(),
                issuer: config.issuer().to_owned(),
                jwks_url,
                token_use: config.token_use(),
                client_ids: config
                    .client_ids()
                    .map(|ids| ids.map(str::to_owned).collect())
                    .unwrap_or_default(),
            };
            Ok((app(layer), banner))
        }
        None => {
            let issuer = LocalIssuer::new().map_err(|e| format!("local issuer: {e}"))?;
            let jwks = issuer
                .serve()
                .await
                .map_err(|e| format!("local issuer: {e}"))?;
            // `issuer.config()` carries the loopback JWKS URL of `serve`.
            let config = issuer
                .config()
                .token_use(AcceptTokenUse::Any)
                .build()
                .map_err(|e| format!("local issuer configuration: {e}"))?;
            let layer = CognitoAuthLayer::new(config)
                .await
                .map_err(|e| format!("could not load the local issuer's keys: {e}"))?;
            let offline = OfflineIssuer {
                access_token: issuer.access_token(),
                id_token: issuer.id_token(),
                issuer,
                jwks,
            };
            Ok((app(layer), Banner::Offline(Box::new(offline))))
        }
    }
}

/// The routes: `/health` is public, `/me` goes through `auth`.
pub fn app(auth: CognitoAuthLayer) -> Router {
    // `route_layer` puts the layer on the routes of this router only, and only on matched
    // routes (an unknown path stays a plain 404).
    let protected = Router::new().route("/me", get(me)).route_layer(auth);
    Router::new().route("/health", get(health)).merge(protected)
}

async fn health() -> &'static str {
    "ok"
}

/// The verified claims, as JSON.
async fn me(claims: Claims) -> Json<Value> {
    let mut body = Map::new();
    body.insert("sub".into(), json!(claims.sub));
    body.insert("iss".into(), json!(claims.iss));
    body.insert("token_use".into(), json!(claims.token_use.as_str()));
    body.insert("username".into(), json!(claims.username()));
    body.insert("client_id".into(), json!(claims.app_client_id()));
    body.insert("groups".into(), json!(claims.groups));
    body.insert(
        "scopes".into(),
        json!(claims.scope.iter().collect::<Vec<_>>()),
    );
    body.insert("exp".into(), json!(claims.exp));
    if let Some(email) = &claims.email {
        body.insert("email".into(), json!(email));
    }
    Json(Value::Object(body))
}

/// Binds, builds, prints the banner and serves until Ctrl-C.
///
/// # Errors
/// A one-line message for any start-up failure.
pub async fn run(settings: Settings) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(settings.bind_addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind_addr))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    // `banner` owns the offline issuer: its JWKS server runs until `run` returns.
    let (router, banner) = build(&settings).await?;
    for line in banner.lines(addr) {
        println!("{line}");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("server error: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let env = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let result = match settings_from_env(env) {
        Ok(settings) => run(settings).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart: error: {e}");
            ExitCode::FAILURE
        }
    }
}
