//! `m2m::TokenSource` against wiremock (loopback only): the exact token request
//! (`client_secret_basic` with the secret as it is, the form), the answer checks (every bad
//! answer an error and nothing cached), single flight (1 000 concurrent callers on a cold cache,
//! one request), scope sets, the second secret, backoff (500 then 200, configuration errors),
//! timeouts, refresh ahead of expiry in the background, and never an expired token. Time runs on
//! a `ManualClock`.
//!
//! Run: `cargo test -p tower-cognito-client --test it m2m::`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::json;
use tower_cognito_client::m2m::{
    ManualClock, Scopes, TokenErrorKind, TokenSource, TokenSourceBuilder,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_ID: &str = "m2m+client7";
const SECRET: &str = "s3cr+t/with=plus";
const OTHER_SECRET: &str = "second-secret-0a9s8d7f";
const TOKEN: &str = "eyJ.m2m-access-token.sig";

fn basic(secret: &str) -> String {
    let pair = format!("{CLIENT_ID}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn granted(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token,
        "expires_in": expires_in,
        "token_type": "Bearer",
    }))
}

fn builder(server: &MockServer, clock: &Arc<ManualClock>) -> TokenSourceBuilder {
    TokenSource::builder(server.uri(), CLIENT_ID, SECRET)
        .clock(Arc::clone(clock))
        .timeout(Duration::from_secs(5))
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test]
async fn the_request_is_client_credentials_with_basic_auth_as_is() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .and(header("authorization", basic(SECRET).as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(granted(TOKEN, 3600))
        .expect(1)
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock)
        .scopes("orders/write orders/read".parse().unwrap())
        .build()
        .unwrap();
    assert_eq!(
        source.token_endpoint(),
        format!("{}/oauth2/token", server.uri())
    );
    let token = source.token().await.unwrap();
    assert_eq!(token.expose(), TOKEN);
    assert_eq!(token.header_value(), &format!("Bearer {TOKEN}"));
    assert!(token.header_value().is_sensitive());
    assert_eq!(token.lifetime(), Duration::from_secs(3600));
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        std::str::from_utf8(&sent.body).unwrap(),
        "grant_type=client_credentials&scope=orders%2Fread+orders%2Fwrite"
    );
    // Debug shows neither the secret nor the token.
    let shown = format!("{source:?} {token:?}");
    assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains(&basic(SECRET)[6..]), "{shown}");
}

#[tokio::test]
async fn every_bad_answer_is_an_error_and_nothing_is_cached() {
    let big = format!(
        r#"{{"access_token":"{}","expires_in":3600,"token_type":"Bearer"}}"#,
        "a".repeat(1024 * 1024)
    );
    let cases: Vec<(&str, ResponseTemplate)> = vec![
        (
            "expires_in 0",
            ResponseTemplate::new(200).set_body_json(
                json!({"access_token": TOKEN, "expires_in": 0, "token_type": "Bearer"}),
            ),
        ),
        (
            "expires_in -1",
            ResponseTemplate::new(200).set_body_json(
                json!({"access_token": TOKEN, "expires_in": -1, "token_type": "Bearer"}),
            ),
        ),
        (
            "expires_in \"3600\"",
            ResponseTemplate::new(200).set_body_json(
                json!({"access_token": TOKEN, "expires_in": "3600", "token_type": "Bearer"}),
            ),
        ),
        (
            "expires_in 1e12",
            ResponseTemplate::new(200).set_body_raw(
                format!(r#"{{"access_token":"{TOKEN}","expires_in":1e12,"token_type":"Bearer"}}"#),
                "application/json",
            ),
        ),
        (
            "expires_in missing",
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": TOKEN, "token_type": "Bearer"})),
        ),
        (
            "token_type mac",
            ResponseTemplate::new(200).set_body_json(
                json!({"access_token": TOKEN, "expires_in": 3600, "token_type": "mac"}),
            ),
        ),
        (
            "1 MiB body",
            ResponseTemplate::new(200).set_body_raw(big, "application/json"),
        ),
        (
            "non-JSON 200",
            ResponseTemplate::new(200).set_body_raw("<html>welcome</html>", "text/html"),
        ),
    ];
    for (name, answer) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let clock = Arc::new(ManualClock::new());
        let source = builder(&server, &clock).build().unwrap();
        let error = source.token().await.unwrap_err();
        assert_eq!(
            error.kind(),
            TokenErrorKind::InvalidAnswer,
            "{name}: {error}"
        );
        assert!(source.cached(source.scopes()).is_none(), "{name}");
        // After the backoff the next call asks again: nothing was cached.
        clock.advance(Duration::from_secs(2));
        assert!(source.token().await.is_err(), "{name}");
        assert_eq!(requests(&server).await, 2, "{name}");
        assert_eq!(source.stats().tokens, 0, "{name}");
    }
}

#[tokio::test]
async fn a_500_then_a_200_backs_off_then_recovers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(granted(TOKEN, 3600))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock).build().unwrap();
    let error = source.token().await.unwrap_err();
    assert_eq!(
        (error.kind(), error.status()),
        (TokenErrorKind::Status, Some(500))
    );
    assert!(!error.is_configuration());
    // Within the backoff (1 s with jitter: 0.5 to 1 s): no request.
    let waiting = source.token().await.unwrap_err();
    assert_eq!(waiting.kind(), TokenErrorKind::BackingOff);
    assert!(waiting.retry_in().unwrap() <= Duration::from_secs(1));
    assert_eq!(requests(&server).await, 1);
    clock.advance(Duration::from_secs(1));
    assert_eq!(source.token().await.unwrap().expose(), TOKEN);
    let stats = source.stats();
    assert_eq!(
        (stats.token_requests, stats.tokens, stats.failures),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn a_configuration_error_backs_off_long_without_a_request_storm() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock).build().unwrap();
    let error = source.token().await.unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_client"));
    assert!(error.is_configuration());
    for _ in 0..299 {
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            source.token().await.unwrap_err().kind(),
            TokenErrorKind::BackingOff
        );
    }
    assert_eq!(requests(&server).await, 1);
    clock.advance(Duration::from_secs(2));
    assert!(source.token().await.is_err());
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_timeout_is_an_error_of_its_own() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(granted(TOKEN, 3600).set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = source.token().await.unwrap_err();
    assert_eq!(error.kind(), TokenErrorKind::Timeout, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_on_a_cold_cache_cost_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(granted(TOKEN, 3600).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock).build().unwrap();
    let callers: Vec<_> = (0..1000)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.token().await.map(|t| t.expose().to_owned()) })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), TOKEN);
    }
    assert_eq!(requests(&server).await, 1);
    assert_eq!(source.stats().token_requests, 1);
}

#[tokio::test]
async fn scope_order_and_repetition_share_one_token_other_sets_do_not() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(granted(TOKEN, 3600))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock).build().unwrap();
    let ba: Scopes = "b a a".parse().unwrap();
    let ab: Scopes = "a b".parse().unwrap();
    let a: Scopes = "a".parse().unwrap();
    source.token_for(&ba).await.unwrap();
    source.token_for(&ab).await.unwrap();
    assert_eq!(requests(&server).await, 1);
    let token = source.token_for(&a).await.unwrap();
    assert_eq!(token.scopes(), &a);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn the_second_secret_is_tried_when_the_first_is_refused_and_then_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", basic(SECRET).as_str()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", basic(OTHER_SECRET).as_str()))
        .respond_with(granted(TOKEN, 3600))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock)
        .second_secret(OTHER_SECRET)
        .build()
        .unwrap();
    assert_eq!(source.token().await.unwrap().expose(), TOKEN);
    assert_eq!(requests(&server).await, 2);
    // The secret that worked goes first from now on.
    source.token_for(&"x/y".parse().unwrap()).await.unwrap();
    assert_eq!(requests(&server).await, 3);
    let shown = format!("{source:?}");
    assert!(!shown.contains(OTHER_SECRET), "{shown}");
}

#[tokio::test]
async fn a_token_is_refreshed_ahead_in_the_background_and_never_handed_out_expired() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(granted("first.token.sig", 3600))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock).build().unwrap();
    assert_eq!(source.token().await.unwrap().expose(), "first.token.sig");
    // Usable until 3600 - 10 s of skew; refreshed from 60 s before that.
    clock.advance(Duration::from_secs(3529));
    assert!(source.cached(source.scopes()).is_some());
    assert_eq!(source.stats().refreshes, 0);
    clock.advance(Duration::from_secs(2));
    // Within the margin: the cached token, and one refresh in the background (which fails).
    assert_eq!(source.token().await.unwrap().expose(), "first.token.sig");
    assert_eq!(source.stats().refreshes, 1);
    tower_cognito_test_support::wait::until("the background refresh to fail", || {
        source.stats().failures == 1
    })
    .await;
    assert_eq!(source.stats().failures, 1);
    // The refresh failed: the token still valid is still handed out...
    assert_eq!(source.token().await.unwrap().expose(), "first.token.sig");
    // ...until its end, then never.
    clock.advance(Duration::from_secs(58));
    assert!(source.cached(source.scopes()).is_some());
    clock.advance(Duration::from_secs(1));
    assert!(source.cached(source.scopes()).is_none());
    // The call at 3589 s started another refresh (the first backoff had passed), which failed
    // too: an error, the failure or the backoff it started, never the expired token.
    let error = source.token().await.unwrap_err();
    assert!(
        matches!(
            error.kind(),
            TokenErrorKind::Status | TokenErrorKind::BackingOff
        ),
        "{error}"
    );
}

#[tokio::test]
async fn lifetimes_run_on_the_monotonic_clock_not_the_token_s_exp() {
    // A JWT whose `exp` is long past: the source never reads it, and a wall clock set back or
    // forth changes nothing, since `expires_in` counts on the monotonic clock.
    let past = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"exp":1000}"#);
    let token = format!("eyJhbGciOiJSUzI1NiJ9.{past}.sig");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(granted(&token, 300))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::new());
    let source = builder(&server, &clock).build().unwrap();
    assert_eq!(source.token().await.unwrap().expose(), token);
    clock.advance(Duration::from_secs(289));
    assert!(source.cached(source.scopes()).is_some());
    clock.advance(Duration::from_secs(1));
    assert!(source.cached(source.scopes()).is_none());
}

#[test]
fn bad_settings_are_refused() {
    let build = |domain: &str, id: &str, secret: &str| {
        TokenSource::builder(domain, id, secret).build().map(|_| ())
    };
    assert!(build("http://example.com", CLIENT_ID, SECRET).is_err());
    assert!(build("https://user:pw@example.com", CLIENT_ID, SECRET).is_err());
    assert!(build("https://example.com/?q=1", CLIENT_ID, SECRET).is_err());
    assert!(build("https://example.com", "bad id", SECRET).is_err());
    assert!(build("https://example.com", CLIENT_ID, "").is_err());
    assert!(build("https://example.com", CLIENT_ID, SECRET).is_ok());
    let with = |f: fn(TokenSourceBuilder) -> TokenSourceBuilder| {
        f(TokenSource::builder(
            "https://example.com",
            CLIENT_ID,
            SECRET,
        ))
        .build()
        .map(|_| ())
    };
    assert!(with(|b| b.expiry_skew(Duration::from_secs(301))).is_err());
    assert!(with(|b| b.refresh_margin(Duration::from_secs(3601))).is_err());
    assert!(with(|b| b.backoff(Duration::ZERO, Duration::from_secs(1))).is_err());
    assert!(with(|b| b.backoff(Duration::from_secs(2), Duration::from_secs(1))).is_err());
    assert!(with(|b| b.timeout(Duration::ZERO)).is_err());
    // A custom domain with a path prefix keeps it.
    let source = TokenSource::builder("https://auth.example.com/tenant/", CLIENT_ID, SECRET)
        .build()
        .unwrap();
    assert_eq!(
        source.token_endpoint(),
        "https://auth.example.com/tenant/oauth2/token"
    );
}
