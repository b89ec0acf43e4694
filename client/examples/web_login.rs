//! Web sign-in for a server-rendered app: managed login, code + PKCE, server-side sessions,
//! refresh and logout, offline or against a real user pool.
//!
//! ```text
//! cargo run -p tower-cognito-client --example web_login --features test-util,web
//! COGNITO_USER_POOL_ID=us-east-1_AbC123xyz COGNITO_CLIENT_ID=... COGNITO_CLIENT_SECRET=... \
//!   COGNITO_DOMAIN=https://example.auth.us-east-1.amazoncognito.com PUBLIC_URL=https://app.example.com \
//!   cargo run -p tower-cognito-client --example web_login --features test-util,web
//! ```
//!
//! Variables: `BIND_ADDR` (default `127.0.0.1:3000`; port `0` picks one), `PUBLIC_URL` (the
//! redirect URI is `$PUBLIC_URL/callback`; default `http://$BIND_ADDR`), `COGNITO_USER_POOL_ID`,
//! `COGNITO_CLIENT_ID`, `COGNITO_CLIENT_SECRET` (optional), `COGNITO_DOMAIN` (the managed-login
//! base URL), `COGNITO_JWKS_URL` and `COGNITO_ISSUER` (overrides for emulators: the issuer as
//! `https://cognito-idp.<region>.<domain>/<pool>`), `REDIS_URL` (optional: sessions in Redis).
//! Without `COGNITO_USER_POOL_ID` it runs offline on an embedded local user pool (its managed
//! login on loopback) and prints a demo user name and password.
//!
//! Prints `listening on http://ADDR`. Routes: `/login`, `/callback`, `/logout`, `/me` (200 JSON
//! with `sub` and `username` for a signed-in session, 401 without), `/` (a sign-in link, or the
//! user's name and a sign-out button).

use std::process::ExitCode;

use axum::routing::get;
use axum::{Extension, Json, Router};
use tower_cognito::env::Env;
use tower_cognito::{Claims, CognitoAuthLayer, TokenUse};
use tower_cognito_client::test_util::{LocalUserPool, UserPoolServer};
use tower_cognito_client::web::{Session, WebSignIn};

const DEMO_USER: &str = "demo";
const DEMO_PASSWORD: &str = "Demo-Passw0rd!";

async fn home(
    claims: Option<Claims>,
    session: Option<Extension<Session>>,
) -> axum::response::Html<String> {
    let body = match (claims, session) {
        (Some(claims), Some(Extension(session))) => format!(
            "<p>Signed in as <span id=\"user\">{}</span>.</p>\
             <form method=\"post\" action=\"/logout\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button id=\"logout\" type=\"submit\">Sign out</button></form>",
            escape(claims.username().unwrap_or(&claims.sub)),
            session.csrf_token()
        ),
        _ => "<p>Not signed in.</p><p><a id=\"login\" href=\"/login\">Sign in</a></p>".to_owned(),
    };
    axum::response::Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>web_login</title></head><body>{body}</body></html>"
    ))
}

async fn me(claims: Claims) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "sub": claims.sub,
        "username": claims.username(),
    }))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The issuer domain of `https://cognito-idp.<region>.<domain>/<pool>`.
fn issuer_domain(issuer: &str, region: &str, pool: &str) -> Result<String, String> {
    issuer
        .strip_prefix(&format!("https://cognito-idp.{region}."))
        .and_then(|rest| rest.strip_suffix(&format!("/{pool}")))
        .map(str::to_owned)
        .ok_or_else(|| {
            "COGNITO_ISSUER must be https://cognito-idp.<region>.<domain>/<pool>".to_owned()
        })
}

struct Offline {
    _pool: LocalUserPool,
    _server: UserPoolServer,
}

async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let env = Env::process();
    let addr = env.bind_addr("127.0.0.1:3000")?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let public = env
        .var("PUBLIC_URL")
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let redirect_uri = format!("{public}/callback");
    let (auth, web, _offline) = match env.config()? {
        Some(mut config) => {
            let pool = env.var("COGNITO_USER_POOL_ID").unwrap_or_default();
            let client_id = env
                .var("COGNITO_CLIENT_ID")
                .ok_or("COGNITO_CLIENT_ID is required")?;
            let domain = env
                .var("COGNITO_DOMAIN")
                .ok_or("COGNITO_DOMAIN is required")?;
            if let Some(issuer) = env.var("COGNITO_ISSUER") {
                let region = pool.split('_').next().unwrap_or_default().to_owned();
                config = config.issuer_domain(issuer_domain(&issuer, &region, &pool)?);
            }
            let config = config.token_use(TokenUse::Access).build()?;
            let auth = CognitoAuthLayer::builder(config).start().await?;
            let mut builder = WebSignIn::builder(domain, client_id, redirect_uri);
            if let Some(secret) = env.var("COGNITO_CLIENT_SECRET") {
                builder = builder.client_secret(secret);
            }
            (auth, builder, None)
        }
        None => {
            let pool = LocalUserPool::builder()
                .client_secret("web-login-demo-secret")
                .callback_urls([redirect_uri.clone()])
                .logout_urls([format!("{public}/")])
                .build()?;
            let server = pool.serve().await?;
            pool.create_user(DEMO_USER, DEMO_PASSWORD, &[("email", "demo@example.com")])
                .await?;
            let config = pool.config().token_use(TokenUse::Access).build()?;
            let auth = CognitoAuthLayer::builder(config)
                .static_keys(pool.issuer().key_set())
                .build()?;
            let builder = WebSignIn::builder(server.domain(), pool.client_id(), redirect_uri)
                .client_secret("web-login-demo-secret");
            println!("demo user: {DEMO_USER} password: {DEMO_PASSWORD}");
            (
                auth,
                builder,
                Some(Offline {
                    _pool: pool,
                    _server: server,
                }),
            )
        }
    };
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    let mut web = web.scopes("openid email");
    if let Some(url) = env.var("REDIS_URL") {
        #[cfg(feature = "redis")]
        {
            web = web.store(tower_cognito_client::web::RedisStore::connect(&url).await?);
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = url;
            return Err("REDIS_URL needs the crate's `redis` feature".into());
        }
    }
    let web = web.build(&auth)?;
    let pages = Router::new()
        .route("/", get(home))
        .route_layer(auth.clone().optional())
        .layer(web.page_layer());
    let api = Router::new()
        .route("/me", get(me))
        .route_layer(auth)
        .layer(web.layer());
    let app = pages.merge(api).merge(web.router());
    println!("listening on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
