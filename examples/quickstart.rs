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
//!
//! Benchmark support (`scripts/load.sh`), all off unless set:
//!
//! | Variable | Meaning |
//! |---|---|
//! | `QUICKSTART_DEBUG_STATS` | `1`: also serve `GET /debug/stats`, `{"jwks_fetches": N, "refresh": {...}}` (`jwks_fetches`: requests the embedded issuer's JWKS server answered; `null` in real mode), `GET /debug/authed` (behind the layer like `/me`, answers `ok` without reading the claims) and, in offline mode, `GET /debug/me-no-layer` (the `/me` handler without the layer, on the printed access token's claims, verified once at start-up) |
//! | `QUICKSTART_TOKENS_FILE` | Offline mode: write `QUICKSTART_TOKEN_COUNT` distinct valid access tokens there, one per line |
//! | `QUICKSTART_UNKNOWN_KID_FILE` | Offline mode: write `QUICKSTART_TOKEN_COUNT` tokens there, each naming a distinct unknown `kid` (correctly signed otherwise) |
//! | `QUICKSTART_TOKEN_COUNT` | Tokens per file (default 10 000, at most 1 000 000) |
//!
//! The files are complete before the `listening on` line is printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use tower_cognito::test_util::{JwksServer, LocalIssuer};
use tower_cognito::{
    AcceptTokenUse, Claims, Clock, CognitoAuthLayer, CognitoConfig, ConfigError, SystemClock,
};

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

/// Every benchmark-support variable the quick start reads (see [`BenchOptions`]).
pub const BENCH_VARS: [&str; 4] = [
    "QUICKSTART_DEBUG_STATS",
    "QUICKSTART_TOKENS_FILE",
    "QUICKSTART_UNKNOWN_KID_FILE",
    "QUICKSTART_TOKEN_COUNT",
];

/// Default of `QUICKSTART_TOKEN_COUNT`.
pub const DEFAULT_TOKEN_COUNT: usize = 10_000;
/// Largest accepted `QUICKSTART_TOKEN_COUNT`.
pub const MAX_TOKEN_COUNT: usize = 1_000_000;

/// Benchmark support, off by default: a debug statistics route and token files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchOptions {
    /// Serve the debug routes `GET /debug/stats` and `GET /debug/authed`.
    pub debug_stats: bool,
    /// Where to write distinct valid access tokens (offline mode only).
    pub tokens_file: Option<PathBuf>,
    /// Where to write tokens naming distinct unknown `kid`s (offline mode only).
    pub unknown_kid_file: Option<PathBuf>,
    /// Tokens per file.
    pub token_count: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            debug_stats: false,
            tokens_file: None,
            unknown_kid_file: None,
            token_count: DEFAULT_TOKEN_COUNT,
        }
    }
}

impl BenchOptions {
    /// Whether a token file is asked for (it needs offline mode).
    pub fn writes_tokens(&self) -> bool {
        self.tokens_file.is_some() || self.unknown_kid_file.is_some()
    }
}

/// Reads the benchmark options through `vars`, like [`settings_from_env`].
///
/// # Errors
/// A one-line message naming the variable that is wrong.
pub fn bench_options_from_env(
    vars: impl Fn(&str) -> Option<String>,
) -> Result<BenchOptions, String> {
    let var = |name: &str| {
        vars(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let debug_stats = match var("QUICKSTART_DEBUG_STATS").as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            return Err(format!(
                "invalid QUICKSTART_DEBUG_STATS {other:?}: expected 1 or 0"
            ));
        }
    };
    let token_count = match var("QUICKSTART_TOKEN_COUNT") {
        None => DEFAULT_TOKEN_COUNT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_TOKEN_COUNT).contains(n))
            .ok_or_else(|| {
                format!("invalid QUICKSTART_TOKEN_COUNT {raw:?}: expected 1 to {MAX_TOKEN_COUNT}")
            })?,
    };
    Ok(BenchOptions {
        debug_stats,
        tokens_file: var("QUICKSTART_TOKENS_FILE").map(PathBuf::from),
        unknown_kid_file: var("QUICKSTART_UNKNOWN_KID_FILE").map(PathBuf::from),
        token_count,
    })
}

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
        Some(raw) => raw.parse::<AcceptTokenUse>().map_err(|_| {
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
    build_with(settings, &BenchOptions::default()).await
}

/// [`build`], plus the debug routes when `options.debug_stats` is set: `GET /debug/stats`,
/// `GET /debug/authed` (behind the layer, answers `ok`) and, in offline mode,
/// `GET /debug/me-no-layer` (the `/me` handler without the layer).
///
/// # Errors
/// As [`build`].
pub async fn build_with(
    settings: &Settings,
    options: &BenchOptions,
) -> Result<(Router, Banner), String> {
    let (layer, banner) = build_layer(settings).await?;
    let mut router = app(layer.clone());
    if options.debug_stats {
        let issuer = match &banner {
            Banner::Offline(offline) => Some(offline.issuer.clone()),
            Banner::Real { .. } => None,
        };
        // `/debug/authed`: behind the layer like `/me`, but answers `ok` without reading the
        // claims, to tell the layer's cost from the handler's.
        let authed = Router::new()
            .route("/debug/authed", get(health))
            .route_layer(layer.clone());
        // `/debug/me-no-layer` (offline mode): the `/me` handler and body without the layer, on
        // claims verified once here: `/me` against it is the layer's share of a real route.
        if let Banner::Offline(offline) = &banner {
            let claims = layer
                .verifier()
                .verify(&offline.access_token, &layer.key_set(), SystemClock.now())
                .map_err(|e| format!("the printed access token does not verify: {e}"))?;
            router = router.route(
                "/debug/me-no-layer",
                get(me).layer(Extension(Claims(Arc::new(claims)))),
            );
        }
        router = router
            .route(
                "/debug/stats",
                get(move || std::future::ready(Json(debug_stats(&layer, issuer.as_ref())))),
            )
            .merge(authed);
    }
    Ok((router, banner))
}

/// The body of `GET /debug/stats`.
fn debug_stats(layer: &CognitoAuthLayer, issuer: Option<&LocalIssuer>) -> Value {
    let refresh = layer.refresh_stats();
    json!({
        "jwks_fetches": issuer.map(LocalIssuer::jwks_requests),
        "refresh": {
            "fetches": refresh.fetches,
            "failures": refresh.failures,
            "swaps": refresh.swaps,
        },
    })
}

/// The layer and the banner of [`build`].
async fn build_layer(settings: &Settings) -> Result<(CognitoAuthLayer, Banner), String> {
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
            Ok((layer, banner))
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
            Ok((layer, Banner::Offline(Box::new(offline))))
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

/// The body of `GET /me`: a view of the verified claims, borrowed from them (no copies), as
/// JSON.
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

/// The verified claims, as JSON.
async fn me(claims: Claims) -> Response {
    // `Json` serializes here, while the borrowed view is alive.
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

/// The message when token files are asked for in real mode.
const TOKENS_NEED_OFFLINE: &str = "QUICKSTART_TOKENS_FILE and QUICKSTART_UNKNOWN_KID_FILE need \
    offline mode (no COGNITO_* variable set)";

/// Writes the token files `options` asks for, minted by the offline issuer; returns lines to print.
///
/// # Errors
/// A one-line message when a token cannot be signed or a file cannot be written.
pub fn write_token_files(
    issuer: &LocalIssuer,
    options: &BenchOptions,
) -> Result<Vec<String>, String> {
    let n = options.token_count;
    let mut lines = Vec::new();
    if let Some(path) = &options.tokens_file {
        let tokens = mint(n, |_| issuer.access_token())?;
        write_lines(path, &tokens, "QUICKSTART_TOKENS_FILE")?;
        lines.push(format!(
            "wrote {n} distinct access tokens to {}",
            path.display()
        ));
    }
    if let Some(path) = &options.unknown_kid_file {
        // A per-run prefix: these `kid`s are never published, by this run or an earlier one.
        let run = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tokens = mint(n, |i| {
            let header = json!({ "kid": format!("unknown-{run:x}-{i}"), "alg": "RS256" });
            // Signed with the active key: only the `kid` is wrong.
            issuer.sign_raw(
                header.to_string().as_bytes(),
                Value::Object(issuer.access_claims()).to_string().as_bytes(),
            )
        })?;
        write_lines(path, &tokens, "QUICKSTART_UNKNOWN_KID_FILE")?;
        lines.push(format!(
            "wrote {n} unknown-kid tokens to {}",
            path.display()
        ));
    }
    Ok(lines)
}

/// `n` tokens made by `make(i)`, signed on every available core.
fn mint(n: usize, make: impl Fn(usize) -> String + Sync) -> Result<Vec<String>, String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = n.div_ceil(threads).max(1);
    let make = &make;
    let tokens: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let end = n.min(start + chunk);
                scope.spawn(move || (start..end).map(make).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    // A signing failure leaves an empty signature segment (see `LocalIssuer::sign_raw`).
    if tokens.len() != n || tokens.iter().any(|t| t.ends_with('.')) {
        return Err("could not sign the benchmark tokens".to_owned());
    }
    Ok(tokens)
}

fn write_lines(path: &Path, lines: &[String], var: &str) -> Result<(), String> {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("{var}: cannot write {}: {e}", path.display()))
}

/// Binds, builds, prints the banner and serves until Ctrl-C.
///
/// # Errors
/// A one-line message for any start-up failure.
pub async fn run(settings: Settings) -> Result<(), String> {
    run_with(settings, BenchOptions::default()).await
}

/// [`run`] with benchmark options: the extra lines (token files, statistics URL) come just before
/// the `listening on` line.
///
/// # Errors
/// A one-line message for any start-up failure.
pub async fn run_with(settings: Settings, options: BenchOptions) -> Result<(), String> {
    if settings.cognito.is_some() && options.writes_tokens() {
        return Err(TOKENS_NEED_OFFLINE.to_owned());
    }
    let listener = tokio::net::TcpListener::bind(settings.bind_addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind_addr))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    // `banner` owns the offline issuer: its JWKS server runs until `run` returns.
    let (router, banner) = build_with(&settings, &options).await?;
    let mut extra = Vec::new();
    if options.writes_tokens() {
        let Banner::Offline(offline) = &banner else {
            return Err(TOKENS_NEED_OFFLINE.to_owned());
        };
        let (issuer, opts) = (offline.issuer.clone(), options.clone());
        // Signing thousands of tokens takes seconds: off the async workers.
        extra = tokio::task::spawn_blocking(move || write_token_files(&issuer, &opts))
            .await
            .map_err(|e| format!("token files: {e}"))??;
    }
    if options.debug_stats {
        extra.push(format!("debug stats: http://{addr}/debug/stats"));
    }
    let mut lines = banner.lines(addr);
    let listening = lines.pop();
    for line in lines.iter().chain(&extra).chain(&listening) {
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
    let result = match settings_from_env(env).and_then(|s| Ok((s, bench_options_from_env(env)?))) {
        Ok((settings, options)) => run_with(settings, options).await,
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
