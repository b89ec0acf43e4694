//! Revocation end to end, offline: `GlobalSignOut`, then `401` on the next request.
//!
//! ```text
//! cargo run -p tower-cognito-client --example revocation --features test-util
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p tower-cognito-client --example revocation --features test-util
//! ```
//!
//! A local user pool (this crate's `LocalUserPool`, on loopback) signs a user in; an axum API
//! behind `CognitoAuthLayer` with a `DenyList` serves `GET /me`, `POST /logout` and `GET /ready`.
//! `/logout` calls `GlobalSignOut` and denies the session's `origin_jti`: Cognito's sign-out alone
//! would leave the access token valid for local verification until it expires (an hour), so
//! without the deny-list the last request below would still answer 200.
//!
//! With `REDIS_URL` (`tower-cognito`'s `redis` feature) the list is shared through Redis, as every replica
//! of an API would share it. Prints each step; exits 1 if an answer is not the expected one.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use tower_cognito::{Claims, CognitoAuthLayer, TokenUse, deny::DenyList};
use tower_cognito_client::test_util::LocalUserPool;
use tower_cognito_client::{Secret, UserPoolClient};

struct App {
    client: UserPoolClient,
    deny: DenyList,
}

async fn me(claims: Claims) -> String {
    format!("hello {}\n", claims.username().unwrap_or(&claims.sub))
}

/// Signs the caller out everywhere and cuts this session off on every layer sharing the list.
/// The layer ran first, so the token is a verified one.
async fn logout(State(app): State<Arc<App>>, headers: HeaderMap) -> StatusCode {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return StatusCode::BAD_REQUEST;
    };
    match app
        .client
        .global_sign_out_and_deny(&Secret::new(token), &app.deny)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The user pool: in memory, on loopback.
    let pool = LocalUserPool::new()?;
    let pool_server = pool.serve().await?;
    pool.create_user(
        "alice",
        "Corr3ct-horse-battery",
        &[("email", "alice@example.com")],
    )
    .await?;
    let client = UserPoolClient::builder(pool.user_pool_id(), pool.client_id())
        .endpoint(pool_server.endpoint())
        .build()?;

    let deny = deny_list().await?;
    let config = pool.config().token_use(TokenUse::Access).build()?;
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(pool.issuer().key_set())
        .deny_list(deny.clone())
        .build()?;
    let state = Arc::new(App {
        client: client.clone(),
        deny,
    });
    let app = Router::new()
        .route("/me", get(me))
        .route("/logout", post(logout))
        .with_state(state)
        .layer(auth.clone())
        .route_service("/ready", auth.readiness_service());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let tokens = client
        .sign_in_password("alice", &Secret::new("Corr3ct-horse-battery"))
        .await?
        .tokens()
        .ok_or("a challenge instead of tokens")?;
    let http = reqwest::Client::new();
    let bearer = format!("Bearer {}", tokens.access_token.expose());
    let mut failed = false;
    let mut check = |step: &str, got: u16, want: u16| {
        println!("{step}: {got}");
        failed |= got != want;
    };

    let ready = http.get(format!("{base}/ready")).send().await?;
    check("GET /ready", ready.status().as_u16(), 200);
    let res = http
        .get(format!("{base}/me"))
        .header("authorization", &bearer)
        .send()
        .await?;
    check("GET /me before sign-out", res.status().as_u16(), 200);
    let res = http
        .post(format!("{base}/logout"))
        .header("authorization", &bearer)
        .send()
        .await?;
    check(
        "POST /logout (GlobalSignOut + deny)",
        res.status().as_u16(),
        204,
    );
    let res = http
        .get(format!("{base}/me"))
        .header("authorization", &bearer)
        .send()
        .await?;
    let challenge = res
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    check("GET /me after sign-out", res.status().as_u16(), 401);
    println!("  WWW-Authenticate: {challenge}");
    // Cognito itself refuses the token now too; local verification alone would not.
    let cognito = client.get_user(&tokens.access_token).await;
    println!(
        "GetUser at Cognito after sign-out: {}",
        cognito.map_or_else(|e| e.to_string(), |_| "accepted".to_owned())
    );
    println!(
        "revocations denied: {}",
        auth.status().rejected(tower_cognito::ErrorKind::Revoked)
    );
    if failed {
        return Err("an answer was not the expected one".into());
    }
    Ok(())
}

/// Shared through Redis when `REDIS_URL` is set, in memory otherwise.
async fn deny_list() -> Result<DenyList, Box<dyn std::error::Error>> {
    match std::env::var("REDIS_URL") {
        Ok(url) => {
            println!("deny-list: shared through Redis");
            Ok(DenyList::redis(url).connect().await?)
        }
        Err(_) => {
            println!("deny-list: in memory (set REDIS_URL to share it through Redis)");
            Ok(DenyList::new())
        }
    }
}
