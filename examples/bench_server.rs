//! The quick start's server (`examples/quickstart.rs`, same routes, same variables) plus what the
//! HTTP benchmarks need: debug routes and token files. Driven by `cargo xtask load` and
//! `cargo xtask profile-routes`.
//!
//! ```text
//! cargo run --release --example bench_server --features test-util
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

// The quick start's routes and, through it, the examples' shared set-up (`examples/common/mod.rs`).
#[path = "quickstart.rs"]
#[allow(dead_code)]
pub(crate) mod quickstart;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{Claims, Clock, CognitoAuthLayer, SystemClock};

use quickstart::common::{self, Auth, Settings};

/// Default of `BENCH_TOKEN_COUNT`.
pub(crate) const DEFAULT_TOKEN_COUNT: usize = 10_000;
/// Largest accepted `BENCH_TOKEN_COUNT`.
pub(crate) const MAX_TOKEN_COUNT: usize = 1_000_000;

/// The token files to write (offline mode only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenFiles {
    /// Where to write distinct valid access tokens.
    pub(crate) valid: Option<PathBuf>,
    /// Where to write tokens naming distinct unknown `kid`s.
    pub(crate) unknown_kid: Option<PathBuf>,
    /// Tokens per file.
    pub(crate) count: usize,
}

impl TokenFiles {
    /// Whether a file is asked for (it needs offline mode).
    pub(crate) fn any(&self) -> bool {
        self.valid.is_some() || self.unknown_kid.is_some()
    }
}

/// Reads the token files through `vars`, like [`common::settings_from_env`].
///
/// # Errors
/// A one-line message naming the variable that is wrong.
pub(crate) fn token_files_from_env(
    vars: impl Fn(&str) -> Option<String>,
) -> Result<TokenFiles, String> {
    let var = |name: &str| {
        vars(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let count = match var("BENCH_TOKEN_COUNT") {
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
        valid: var("BENCH_TOKENS_FILE").map(PathBuf::from),
        unknown_kid: var("BENCH_UNKNOWN_KID_FILE").map(PathBuf::from),
        count,
    })
}

/// The quick start's routes plus the debug routes, on `auth`'s layer.
///
/// # Errors
/// A one-line message when the printed access token does not verify.
pub(crate) fn app(auth: &Auth) -> Result<Router, String> {
    let layer = &auth.layer;
    let mut router = quickstart::app(layer.clone())?;
    if let Some(offline) = &auth.offline {
        let claims = layer
            .verifier()
            .verify(&offline.access_token, &layer.key_set(), SystemClock.now())
            .map_err(|e| format!("the printed access token does not verify: {e}"))?;
        // The `/me` handler, its claims from an axum `Extension` instead of the layer.
        let me = get(quickstart::me).layer(Extension(Claims(Arc::new(claims))));
        router = router.route("/debug/me-no-layer", me);
    }
    let authed = Router::new()
        .route("/debug/authed", get(|| async { "ok" }))
        .route_layer(layer.clone());
    let (layer, issuer) = (
        layer.clone(),
        auth.offline.as_ref().map(|o| o.issuer.clone()),
    );
    let stats = move || std::future::ready(Json(debug_stats(&layer, issuer.as_ref())));
    Ok(router.route("/debug/stats", get(stats)).merge(authed))
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

/// The message when token files are asked for in real mode.
const TOKENS_NEED_OFFLINE: &str =
    "BENCH_TOKENS_FILE and BENCH_UNKNOWN_KID_FILE need offline mode (no COGNITO_USER_POOL_ID)";

/// Writes the token files, minted by the offline issuer; returns lines to print.
///
/// # Errors
/// A one-line message when a token cannot be signed or a file cannot be written.
pub(crate) fn write_token_files(
    issuer: &LocalIssuer,
    files: &TokenFiles,
) -> Result<Vec<String>, String> {
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

/// Binds, builds, writes the token files, prints the quick start's banner with the extra lines
/// just before `listening on`, and serves until Ctrl-C.
///
/// # Errors
/// A one-line message for any start-up failure.
pub(crate) async fn run(settings: Settings, files: TokenFiles) -> Result<(), String> {
    if settings.cognito.is_some() && files.any() {
        return Err(TOKENS_NEED_OFFLINE.to_owned());
    }
    let (listener, addr) = common::bind(&settings).await?;
    // `auth` owns the offline issuer: its JWKS server runs until `run` returns.
    let auth = common::auth(&settings).await?;
    let router = app(&auth)?;
    let mut extra = Vec::new();
    if let Some(offline) = auth.offline.as_ref().filter(|_| files.any()) {
        let (issuer, files) = (offline.issuer.clone(), files.clone());
        // Signing thousands of tokens takes seconds: off the async workers.
        extra = tokio::task::spawn_blocking(move || write_token_files(&issuer, &files))
            .await
            .map_err(|e| format!("token files: {e}"))??;
    }
    extra.push(format!("debug stats: http://{addr}/debug/stats"));
    let mut lines = quickstart::banner(&auth, addr);
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
    let settings = common::settings_from_env(common::env, quickstart::DEFAULT_BIND_ADDR);
    let result = match settings.and_then(|s| Ok((s, token_files_from_env(common::env)?))) {
        Ok((settings, files)) => run(settings, files).await,
        Err(e) => Err(e),
    };
    common::exit("bench_server", result)
}
