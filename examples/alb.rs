//! Behind an AWS Application Load Balancer: `GET /me` answers the identity the ALB forwards in
//! `x-amzn-oidc-data`, verified (ES256, the ALB's ARN pinned): `cargo run --example alb --features
//! alb,test-util`.
//!
//! Offline (no `ALB_SIGNER_ARNS`) an embedded load balancer serves its key on loopback and the
//! server prints a ready `curl` with a valid `x-amzn-oidc-data`. Real mode: `ALB_SIGNER_ARNS`
//! (comma-separated ARNs), `ALB_CLIENT_IDS` (comma-separated app clients), `ALB_ISSUER`, and
//! optionally `ALB_REGION` (must be the ARNs' region) and `ALB_KEYS_URL` (default the regional
//! key endpoint). With `COGNITO_USER_POOL_ID` and `COGNITO_CLIENT_ID` (`COGNITO_JWKS_URL`
//! optional) the forwarded `x-amzn-oidc-accesstoken` is verified too and must name the same user.

use std::error::Error;
use std::process::ExitCode;

use axum::{Json, Router, routing::get};
use tower_cognito::alb::{self, AlbAuthLayer, AlbClaims, AlbConfig};
use tower_cognito::env::Env;
use tower_cognito::test_util::alb::LocalAlb;
use tower_cognito::{CognitoAuthLayer, TokenUse};

/// The variables only real mode reads.
const REAL_MODE_VARS: [&str; 4] = ["ALB_CLIENT_IDS", "ALB_ISSUER", "ALB_REGION", "ALB_KEYS_URL"];

async fn me(claims: alb::Claims) -> Json<AlbClaims> {
    Json(AlbClaims::clone(&claims))
}

/// The comma-separated values of `var`, trimmed, empty ones left out.
fn list(env: &Env, var: &str) -> Vec<String> {
    env.var(var)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Real mode's configuration from the `ALB_*` variables, or `None` without `ALB_SIGNER_ARNS`.
fn real_config(env: &Env) -> Result<Option<AlbConfig>, Box<dyn Error>> {
    let signers = list(env, "ALB_SIGNER_ARNS");
    if signers.is_empty() {
        if let Some(var) = REAL_MODE_VARS.into_iter().find(|v| env.var(v).is_some()) {
            return Err(format!(
                "{var} is set but ALB_SIGNER_ARNS is not: set ALB_SIGNER_ARNS for real mode, or \
                 unset {var} for offline mode"
            )
            .into());
        }
        return Ok(None);
    }
    let mut builder = AlbConfig::builder();
    for arn in signers {
        builder = builder.signer(arn);
    }
    let clients = list(env, "ALB_CLIENT_IDS");
    if clients.is_empty() {
        return Err("ALB_CLIENT_IDS is required when ALB_SIGNER_ARNS is set".into());
    }
    for client in clients {
        builder = builder.client_id(client);
    }
    let issuer = env
        .var("ALB_ISSUER")
        .ok_or("ALB_ISSUER is required when ALB_SIGNER_ARNS is set")?;
    builder = builder.issuer(issuer);
    if let Some(url) = env.var("ALB_KEYS_URL") {
        builder = builder.keys_url(url);
    }
    let config = builder
        .build()
        .map_err(|e| format!("invalid ALB configuration: {e}"))?;
    if let Some(region) = env.var("ALB_REGION")
        && region != config.region()
    {
        return Err(format!(
            "ALB_REGION {region:?} is not the region of ALB_SIGNER_ARNS ({})",
            config.region()
        )
        .into());
    }
    Ok(Some(config))
}

async fn run() -> Result<(), Box<dyn Error>> {
    let env = Env::process();
    // Every variable is read before anything starts.
    let addr = env.bind_addr("127.0.0.1:3000")?;
    let (real, cognito) = (real_config(&env)?, env.config()?);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr()?;

    // Offline, an embedded load balancer mints a token and serves its key on loopback.
    let (config, offline) = match real {
        Some(config) => (config, None),
        None => {
            let local = LocalAlb::new()?;
            let server = local.serve().await?;
            (local.config().build()?, Some((local, server)))
        }
    };
    let mut builder = AlbAuthLayer::builder(config);
    if let Some(cognito) = cognito {
        let config = cognito.token_use(TokenUse::Access).build()?;
        let layer = CognitoAuthLayer::builder(config)
            .start()
            .await
            .map_err(|e| format!("could not load the Cognito signing keys: {e}"))?;
        println!("the forwarded x-amzn-oidc-accesstoken is verified too (same user required)");
        builder = builder.access_token(layer);
    }
    let auth = builder.build()?;
    let c = auth.config();
    let signers: Vec<&str> = c.signers().collect();
    let clients: Vec<&str> = c.client_ids().collect();
    let token = match &offline {
        Some((local, _)) => {
            println!("offline mode: no ALB_SIGNER_ARNS, tokens from an embedded load balancer");
            let token = local.token();
            println!("x-amzn-oidc-data: {token}");
            token
        }
        None => {
            println!("real mode: tokens of the load balancers in ALB_SIGNER_ARNS");
            "$TOKEN".to_owned()
        }
    };
    println!(
        "load balancers {}, app clients {}, issuer {}, keys {}",
        signers.join(","),
        clients.join(","),
        c.issuer(),
        c.keys_url()
    );
    println!("try it:");
    println!("curl -H \"x-amzn-oidc-data: {token}\" http://{addr}/me");
    println!("listening on http://{addr}");

    let app = Router::new().route("/me", get(me)).layer(auth);
    let shutdown = async { drop(tokio::signal::ctrl_c().await) };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    drop(offline);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let Err(e) = run().await else {
        return ExitCode::SUCCESS;
    };
    let mut line = e.to_string();
    for cause in std::iter::successors(e.source(), |&e| e.source()).take(16) {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line = format!("{line}: {text}");
        }
    }
    eprintln!("alb: error: {}", line.replace(['\n', '\r'], " "));
    ExitCode::FAILURE
}
