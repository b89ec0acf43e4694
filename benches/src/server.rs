//! The benchmark server: the quick start's server (`examples/quickstart.rs` of `tower-cognito`:
//! the same routes and variables, read by `tower_cognito::env`) plus what the HTTP benchmarks
//! need, debug routes and token files. The binary `bench_server` runs [`run`]; `cargo xtask load`
//! and `cargo xtask profile-routes` drive it.
//!
//! ```text
//! cargo run --release -p tower-cognito-benches --bin bench_server
//! ```
//!
//! Extra routes:
//! - `GET /debug/stats`: `{"jwks_fetches": N, "refresh": {"fetches": .., "failures": .., "swaps": ..}}`
//!   (`jwks_fetches`: requests the embedded issuer's JWKS server answered; `null` in real mode);
//! - `GET /debug/authed`: behind the layer like `/me`, answers `ok` without reading the claims (the
//!   layer's cost apart from the handler's);
//! - `GET /debug/me-no-layer` (offline mode): the `/me` handler without the layer, on the claims of
//!   the printed access token, verified once at start-up (`/me` against it is the layer's share).
//!
//! Token files (offline mode only; complete before the `listening on` line is printed):
//!
//! | Variable | Meaning |
//! |---|---|
//! | `BENCH_TOKENS_FILE` | write `BENCH_TOKEN_COUNT` distinct valid access tokens there, one per line |
//! | `BENCH_UNKNOWN_KID_FILE` | write `BENCH_TOKEN_COUNT` tokens there, each naming a distinct unknown `kid` (correctly signed otherwise) |
//! | `BENCH_TOKEN_COUNT` | tokens per file (default 10 000, at most 1 000 000) |

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use tower_cognito::env::Env;
use tower_cognito::test_util::{LocalIssuer, OfflineIssuer};
use tower_cognito::{Claims, CognitoAuthLayer, Require, clock::Clock, clock::SystemClock};

/// Where to listen when `BIND_ADDR` is not set (the quick start's default).
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:3000";

/// Default of `BENCH_TOKEN_COUNT`.
pub const DEFAULT_TOKEN_COUNT: usize = 10_000;
/// Largest accepted `BENCH_TOKEN_COUNT`.
pub const MAX_TOKEN_COUNT: usize = 1_000_000;

/// The token files to write (offline mode only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFiles {
    /// Where to write distinct valid access tokens.
    pub valid: Option<PathBuf>,
    /// Where to write tokens naming distinct unknown `kid`s.
    pub unknown_kid: Option<PathBuf>,
    /// Tokens per file.
    pub count: usize,
}

impl TokenFiles {
    /// Whether a file is asked for (it needs offline mode).
    pub fn any(&self) -> bool {
        self.valid.is_some() || self.unknown_kid.is_some()
    }
}

/// Reads the token files' variables (blank values count as unset).
///
/// # Errors
/// A one-line message naming the variable that is wrong.
pub fn token_files_from_env(env: &Env) -> Result<TokenFiles, String> {
    let count = match env.var("BENCH_TOKEN_COUNT") {
        None => DEFAULT_TOKEN_COUNT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_TOKEN_COUNT).contains(n))
            .ok_or_else(|| {
                format!("invalid BENCH_TOKEN_COUNT {raw:?}: expected 1 to {MAX_TOKEN_COUNT}")
            })?,
    };
    Ok(TokenFiles {
        valid: env.var("BENCH_TOKENS_FILE").map(PathBuf::from),
        unknown_kid: env.var("BENCH_UNKNOWN_KID_FILE").map(PathBuf::from),
        count,
    })
}

/// The body of the quick start's `GET /me`: a view of the verified claims.
pub async fn me(claims: Claims) -> Json<Value> {
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

/// The quick start's routes (`/me`, `/admin` for the group `admins`, `/health`, `/ready`) plus
/// the debug routes, on `layer`; `offline` is the embedded issuer of offline mode.
///
/// # Errors
/// A one-line message when the printed access token does not verify.
pub fn app(layer: &CognitoAuthLayer, offline: Option<&OfflineIssuer>) -> Result<Router, String> {
    let admins = Require::groups_any(["admins"]).map_err(|e| e.to_string())?;
    let mut router = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin).route_layer(layer.guard(admins)))
        .route_layer(layer.clone())
        .route("/health", get(|| async { "ok" }))
        .route_service("/ready", layer.readiness_service());
    if let Some(offline) = offline {
        let pool = layer.pools().into_iter().next();
        let keys = pool
            .ok_or_else(|| "the layer has no pool".to_owned())?
            .key_set;
        let claims = layer
            .verifier()
            .verify(offline.access_token(), &keys, SystemClock.now())
            .map_err(|e| format!("the printed access token does not verify: {e}"))?;
        // The `/me` handler, its claims from an axum `Extension` instead of the layer.
        let me = get(me).layer(Extension(Claims(Arc::new(claims))));
        router = router.route("/debug/me-no-layer", me);
    }
    let authed = Router::new()
        .route("/debug/authed", get(|| async { "ok" }))
        .route_layer(layer.clone());
    let (layer, issuer) = (layer.clone(), offline.map(|o| o.issuer().clone()));
    let stats = move || std::future::ready(Json(debug_stats(&layer, issuer.as_ref())));
    Ok(router.route("/debug/stats", get(stats)).merge(authed))
}

/// The body of `GET /debug/stats`.
fn debug_stats(layer: &CognitoAuthLayer, issuer: Option<&LocalIssuer>) -> Value {
    let status = layer.status();
    let refresh = status.pools.first();
    json!({
        "jwks_fetches": issuer.map(LocalIssuer::jwks_requests),
        "refresh": {
            "fetches": refresh.map(|p| p.fetches),
            "fetch_failures": refresh.map(|p| p.fetch_failures),
            "fetch_successes": refresh.map(|p| p.fetch_successes),
        },
    })
}

/// The message when token files are asked for in real mode.
const TOKENS_NEED_OFFLINE: &str =
    "BENCH_TOKENS_FILE and BENCH_UNKNOWN_KID_FILE need offline mode (no COGNITO_USER_POOL_ID)";

/// Writes the token files, minted by the offline issuer; returns lines to print.
///
/// # Errors
/// A one-line message when a token cannot be signed or a file cannot be written.
pub fn write_token_files(issuer: &LocalIssuer, files: &TokenFiles) -> Result<Vec<String>, String> {
    let n = files.count;
    let mut lines = Vec::new();
    if let Some(path) = &files.valid {
        let tokens = mint(n, |_| issuer.access_token())?;
        write_lines(path, &tokens, "BENCH_TOKENS_FILE")?;
        lines.push(format!(
            "wrote {n} distinct access tokens to {}",
            path.display()
        ));
    }
    if let Some(path) = &files.unknown_kid {
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
        write_lines(path, &tokens, "BENCH_UNKNOWN_KID_FILE")?;
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

/// Reads the variables, binds, builds the layer, writes the token files, prints the quick
/// start's banner with the extra lines just before `listening on`, and serves until Ctrl-C.
///
/// # Errors
/// A one-line message for any start-up failure, with its causes.
pub async fn run(env: &Env) -> Result<(), String> {
    let addr = env.bind_addr(DEFAULT_BIND_ADDR).map_err(|e| chain(&e))?;
    let files = token_files_from_env(env)?;
    let real = env.config().map_err(|e| chain(&e))?;
    if real.is_some() && files.any() {
        return Err(TOKENS_NEED_OFFLINE.to_owned());
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let (config, offline) = match real {
        Some(real) => (real.build().map_err(|e| chain(&e))?, None),
        None => {
            let token_use = env.token_use().map_err(|e| chain(&e))?;
            let offline = OfflineIssuer::start(token_use, &["users", "admins"])
                .await
                .map_err(|e| format!("local issuer: {}", chain(&e)))?;
            let config = offline.config().build().map_err(|e| chain(&e))?;
            (config, Some(offline))
        }
    };
    let mut lines = match &offline {
        Some(offline) => offline.banner(),
        None => vec![
            format!("real mode: user pool {}", config.user_pool_id()),
            format!("JWKS {}", config.jwks_url()),
        ],
    };
    let token = offline.as_ref().map_or("$TOKEN", OfflineIssuer::token);
    lines.push("try it:".to_owned());
    for path in ["me", "admin"] {
        lines.push(format!(
            "curl -H \"Authorization: Bearer {token}\" http://{addr}/{path}"
        ));
    }
    lines.push(
        "(GET /admin needs the Cognito group admins: 403 insufficient_scope otherwise)".into(),
    );
    let jwks_url = config.jwks_url().to_owned();
    let layer = CognitoAuthLayer::builder(config)
        .start()
        .await
        .map_err(|e| {
            format!(
                "could not load the signing keys from {jwks_url}: {}",
                chain(&e)
            )
        })?;
    let router = app(&layer, offline.as_ref())?;
    if let Some(offline) = offline.as_ref().filter(|_| files.any()) {
        let (issuer, files) = (offline.issuer().clone(), files.clone());
        // Signing thousands of tokens takes seconds: off the async workers.
        let written = tokio::task::spawn_blocking(move || write_token_files(&issuer, &files))
            .await
            .map_err(|e| format!("token files: {e}"))??;
        lines.extend(written);
    }
    lines.push(format!("debug stats: http://{addr}/debug/stats"));
    lines.push(format!("listening on http://{addr}"));
    for line in lines {
        println!("{line}");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// `error` and its sources on one line, `A: B: C` (a level whose text already ends with its
/// source's is not repeated).
pub fn chain(error: &dyn Error) -> String {
    let mut line = error.to_string();
    for cause in std::iter::successors(error.source(), |&e| e.source()).take(16) {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line = format!("{line}: {text}");
        }
    }
    line.replace(['\n', '\r'], " ")
}
