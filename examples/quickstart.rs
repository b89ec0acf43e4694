//! Quick start: an axum API whose `/me` route needs a Cognito token (an access token by default).
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

use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;

use axum::{Json, Router, response::IntoResponse, routing::get};
use serde::Serialize;
use tower_cognito::test_util::{JwksServer, LocalIssuer};
use tower_cognito::{AcceptTokenUse, Claims, CognitoAuthLayer, CognitoConfig, ConfigError};

/// What the environment asked for, validated. `cognito: None` is offline mode.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) bind_addr: SocketAddr,
    pub(crate) token_use: AcceptTokenUse,
    pub(crate) cognito: Option<CognitoConfig>,
}

/// Reads the settings through `var` (`std::env::var` in `main`); blank values count as unset.
pub(crate) fn settings_from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let bind_addr = parse("BIND_ADDR", var("BIND_ADDR"), "127.0.0.1:3000", "IP:PORT")?;
    let token_use = var("COGNITO_TOKEN_USE");
    let token_use = parse(
        "COGNITO_TOKEN_USE",
        token_use,
        "access",
        "access, id or any",
    )?;
    let cognito = match var("COGNITO_USER_POOL_ID") {
        Some(pool_id) => {
            let clients = var("COGNITO_CLIENT_ID").unwrap_or_default();
            let clients = clients
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty());
            let mut config = CognitoConfig::builder(pool_id).client_ids(clients);
            if let Some(region) = var("COGNITO_REGION") {
                config = config.region(region);
            }
            if let Some(url) = var("COGNITO_JWKS_URL") {
                config = config.jwks_url(url);
            }
            Some(config.token_use(token_use).build().map_err(config_error)?)
        }
        // Half a real configuration must never fall back to accepting locally minted tokens.
        None => match REAL_MODE_VARS.into_iter().find(|name| var(name).is_some()) {
            Some(set) => return Err(format!("{set} is set but COGNITO_USER_POOL_ID is not")),
            None => None,
        },
    };
    Ok(Settings {
        bind_addr,
        token_use,
        cognito,
    })
}

/// The variables only real mode reads.
pub(crate) const REAL_MODE_VARS: [&str; 3] =
    ["COGNITO_CLIENT_ID", "COGNITO_REGION", "COGNITO_JWKS_URL"];

fn parse<T: FromStr>(
    var: &str,
    value: Option<String>,
    default: &str,
    expected: &str,
) -> Result<T, String> {
    let value = value.unwrap_or_else(|| default.to_owned());
    value
        .trim()
        .parse()
        .map_err(|_| format!("invalid {var} {value:?}: expected {expected}"))
}

/// Names the variable behind a refused configuration.
fn config_error(e: ConfigError) -> String {
    let var = match e {
        ConfigError::MissingClientId => return "COGNITO_CLIENT_ID is required in real mode".into(),
        ConfigError::InvalidUserPoolId(_) => "COGNITO_USER_POOL_ID",
        ConfigError::InvalidClientId(_) => "COGNITO_CLIENT_ID",
        ConfigError::InvalidRegion(_) => "COGNITO_REGION",
        ConfigError::InvalidJwksUrl { .. } => "COGNITO_JWKS_URL",
        _ => "COGNITO_*",
    };
    format!("{var}: {e}")
}

/// Offline mode's issuer and the tokens it printed; its JWKS server stops when this is dropped.
#[derive(Debug)]
pub(crate) struct Offline {
    pub(crate) issuer: LocalIssuer,
    pub(crate) jwks: JwksServer,
    pub(crate) access_token: String,
    pub(crate) id_token: String,
}

/// The layer, once it has its first key set; in offline mode, on a new embedded issuer.
pub(crate) async fn layer(
    settings: &Settings,
) -> Result<(CognitoAuthLayer, Option<Offline>), String> {
    if let Some(config) = &settings.cognito {
        let url = config.jwks_url();
        let layer = CognitoAuthLayer::new(config.clone()).await;
        let layer =
            layer.map_err(|e| format!("could not load the signing keys from {url}: {e}"))?;
        return Ok((layer, None));
    }
    let local = |e: tower_cognito::test_util::LocalIssuerError| format!("local issuer: {e}");
    let issuer = LocalIssuer::new().map_err(local)?;
    let jwks = issuer.serve().await.map_err(local)?;
    // `config()` points at the JWKS that `serve` publishes on loopback.
    let config = issuer.config().token_use(settings.token_use).build();
    let config = config.map_err(|e| format!("local issuer: {e}"))?;
    let layer = CognitoAuthLayer::new(config).await;
    let layer = layer.map_err(|e| format!("could not load the local issuer's keys: {e}"))?;
    let (access_token, id_token) = (issuer.access_token(), issuer.id_token());
    Ok((
        layer,
        Some(Offline {
            issuer,
            jwks,
            access_token,
            id_token,
        }),
    ))
}

/// `GET /health` is public; `GET /me` goes through the layer (`route_layer`: matched routes only).
pub(crate) fn app(auth: CognitoAuthLayer) -> Router {
    let protected = Router::new().route("/me", get(me)).route_layer(auth);
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(protected)
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

/// The start-up lines, `listening on http://{addr}` last.
pub(crate) fn banner(
    settings: &Settings,
    offline: Option<&Offline>,
    addr: SocketAddr,
) -> Vec<String> {
    let accepts = settings.token_use.as_str();
    let curl = |token: &str| format!("curl -H \"Authorization: Bearer {token}\" http://{addr}/me");
    let mut lines = match (offline, &settings.cognito) {
        (Some(o), _) => vec![
            "offline mode: no COGNITO_USER_POOL_ID, tokens from an embedded issuer".into(),
            format!(
                "user pool {}, JWKS {}",
                o.issuer.user_pool_id(),
                o.jwks.jwks_url()
            ),
            format!("accepted token use: {accepts}"),
            format!("access token: {}", o.access_token),
            format!("id token: {}", o.id_token),
            "try it (the tokens are valid for 1 hour):".into(),
            curl(if accepts == "id" {
                &o.id_token
            } else {
                &o.access_token
            }),
        ],
        (None, Some(c)) => vec![
            format!(
                "real mode: user pool {}, issuer {}",
                c.user_pool_id(),
                c.issuer()
            ),
            format!("JWKS {}", c.jwks_url()),
            format!("accepted token use: {accepts}"),
            "try it, with a token of this pool in $TOKEN:".into(),
            curl("$TOKEN"),
        ],
        (None, None) => Vec::new(),
    };
    lines.push(format!("listening on http://{addr}"));
    lines
}

/// Binds, builds, prints the banner and serves until Ctrl-C.
pub(crate) async fn run(settings: Settings) -> Result<(), String> {
    let addr = settings.bind_addr;
    let listener = tokio::net::TcpListener::bind(addr).await;
    let listener = listener.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (auth, offline) = layer(&settings).await?;
    for line in banner(&settings, offline.as_ref(), addr) {
        println!("{line}");
    }
    let shutdown = async { drop(tokio::signal::ctrl_c().await) };
    let server = axum::serve(listener, app(auth)).with_graceful_shutdown(shutdown);
    server.await.map_err(|e| format!("server error: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let started = async { run(settings_from_env(|name| std::env::var(name).ok())?).await };
    if let Err(e) = started.await {
        eprintln!("quickstart: error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
