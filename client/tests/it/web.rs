//! `web::WebSignIn` end to end without a browser: an axum app with the sign-in routes, a page
//! route and an API route behind the application's `CognitoAuthLayer`, the token and revocation
//! endpoints on wiremock (loopback), tokens signed by a `LocalIssuer`, driven with reqwest
//! (redirects not followed, cookies by hand). Every rule of the web sign-in: PKCE S256, `state`
//! bound to the browser and single use, `nonce`, the ID token's audience and use, the
//! callback's answers, the session cookie, local return paths only, refresh (single flight,
//! rotation, a refused refresh ends the session, an outage with an expired token is `503`),
//! logout (CSRF, revocation, the deny-list, Cognito's `/logout`), and a store that is down.
//!
//! Run: `cargo test -p tower-cognito-client --all-features --test it web::`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};
use tower_cognito::clock::FixedClock;
use tower_cognito::deny::DenyList;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{Claims, CognitoAuthLayer, TokenUse};
use tower_cognito_client::web::{
    MemoryStore, Session, SessionStore, StoreError, StoreFuture, WebSignIn, WebSignInBuilder,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOW: u64 = 1_800_000_000;

struct Fixture {
    issuer: LocalIssuer,
    clock: Arc<FixedClock>,
    cognito: MockServer,
    app: String,
    http: reqwest::Client,
    deny: DenyList,
    /// The layer, for a second replica (the Redis test).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    auth: CognitoAuthLayer,
    _server: tokio::task::JoinHandle<()>,
}

async fn fixture(tweak: impl FnOnce(WebSignInBuilder) -> WebSignInBuilder) -> Fixture {
    let clock = Arc::new(FixedClock::new(NOW));
    let issuer = LocalIssuer::builder()
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    let cognito = MockServer::start().await;
    let deny = DenyList::with_clock(Arc::clone(&clock));
    let config = issuer.config().token_use(TokenUse::Access).build().unwrap();
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .deny_list(deny.clone())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = format!("http://{}", listener.local_addr().unwrap());
    let builder = WebSignIn::builder(cognito.uri(), issuer.client_id(), format!("{app}/callback"))
        .client_secret("web-secret")
        .scopes("openid email")
        .deny_list(deny.clone())
        .clock(Arc::clone(&clock));
    let web = tweak(builder).build(&auth).unwrap();
    let server = serve(listener, &web, &auth);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    Fixture {
        issuer,
        clock,
        cognito,
        app,
        http,
        deny,
        auth,
        _server: server,
    }
}

/// The app: an API route and a page behind the layer, each with its session layer, and the
/// sign-in routes.
fn serve(
    listener: tokio::net::TcpListener,
    web: &WebSignIn,
    auth: &CognitoAuthLayer,
) -> tokio::task::JoinHandle<()> {
    let me = |claims: Claims| async move { claims.username().unwrap_or("?").to_owned() };
    let csrf = |session: axum::Extension<Session>| async move { session.csrf_token().to_owned() };
    let api = Router::new()
        .route("/api/me", get(me))
        .route("/api/csrf", get(csrf))
        .route_layer(auth.clone())
        .layer(web.layer());
    let pages = Router::new()
        .route("/page", get(me))
        .route_layer(auth.clone())
        .layer(web.page_layer());
    let router = api.merge(pages).merge(web.router());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })
}

fn query(url: &str) -> HashMap<String, String> {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs().into_owned().collect()
}

fn set_cookies(response: &reqwest::Response) -> HashMap<String, String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .map(|v| {
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

struct Login {
    cookie: String,
    state: String,
    nonce: String,
    challenge: String,
}

impl Fixture {
    async fn login(&self, return_to: &str) -> Login {
        let url = format!("{}/login?return_to={}", self.app, urlencode(return_to));
        let answer = self.http.get(url).send().await.unwrap();
        assert_eq!(answer.status(), 302);
        let to = location(&answer);
        assert!(
            to.starts_with(&format!("{}/oauth2/authorize?", self.cognito.uri())),
            "{to}"
        );
        let q = query(&to);
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], self.issuer.client_id());
        assert_eq!(q["redirect_uri"], format!("{}/callback", self.app));
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"].len(), 43);
        assert_eq!(q["nonce"].len(), 43);
        let cookie = set_cookies(&answer)["tower-cognito-login"].clone();
        Login {
            cookie,
            state: q["state"].clone(),
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
        }
    }

    fn tokens(&self, nonce: &str, refresh: Option<&str>) -> Value {
        let mut access = self.issuer.access_claims();
        access.insert("username".into(), json!("alice"));
        access.insert("origin_jti".into(), json!("origin-1"));
        let mut id = self.issuer.id_claims();
        id.insert("nonce".into(), json!(nonce));
        let mut answer = json!({
            "access_token": self.issuer.sign(&access),
            "id_token": self.issuer.sign(&id),
            "token_type": "Bearer",
            "expires_in": 3600,
        });
        if let Some(refresh) = refresh {
            answer["refresh_token"] = json!(refresh);
        }
        answer
    }

    async fn grant(&self, answer: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path("/oauth2/token"))
            .respond_with(answer)
            .mount(&self.cognito)
            .await;
    }

    async fn callback(&self, cookie: &str, params: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/callback?{params}", self.app))
            .header("cookie", format!("tower-cognito-login={cookie}"))
            .send()
            .await
            .unwrap()
    }

    /// A whole sign-in: the session cookie's value.
    async fn sign_in(&self) -> String {
        let login = self.login("/page").await;
        self.grant(
            ResponseTemplate::new(200).set_body_json(self.tokens(&login.nonce, Some("refresh-1"))),
        )
        .await;
        let answer = self
            .callback(
                &login.cookie,
                &format!("code=the-code&state={}", login.state),
            )
            .await;
        assert_eq!(answer.status(), 303, "{}", answer.text().await.unwrap());
        set_cookies(&answer)["tower-cognito-session"].clone()
    }

    async fn get(&self, path: &str, session: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.app))
            .header("cookie", format!("tower-cognito-session={session}"))
            .send()
            .await
            .unwrap()
    }

    async fn token_requests(&self) -> Vec<String> {
        self.cognito
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path() == "/oauth2/token")
            .map(|r| String::from_utf8(r.body).unwrap())
            .collect()
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn the_code_flow_with_pkce_starts_a_session_the_layer_accepts() {
    let f = fixture(|b| b).await;
    let login = f.login("/page?tab=2").await;
    f.grant(ResponseTemplate::new(200).set_body_json(f.tokens(&login.nonce, Some("refresh-1"))))
        .await;
    let answer = f
        .callback(
            &login.cookie,
            &format!("code=the-code&state={}", login.state),
        )
        .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/page?tab=2");
    assert_eq!(answer.headers()["cache-control"], "no-store");
    assert_eq!(answer.headers()["referrer-policy"], "no-referrer");
    let cookies: Vec<String> = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("tower-cognito-session="))
        .unwrap();
    // Plain http on loopback: no `Secure` (and so no `__Host-` prefix).
    assert!(
        session_cookie.contains("; HttpOnly; SameSite=Lax"),
        "{session_cookie}"
    );
    assert!(session_cookie.contains("Path=/"), "{session_cookie}");
    assert!(!session_cookie.contains("Domain"), "{session_cookie}");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("tower-cognito-login=;") && c.contains("Max-Age=0"))
    );
    let session = set_cookies(&answer)["tower-cognito-session"].clone();
    assert_eq!(session.len(), 43);
    // The code was redeemed once, with the verifier of the challenge and Basic auth.
    let sent = f.cognito.received_requests().await.unwrap();
    let token = sent
        .iter()
        .find(|r| r.url.path() == "/oauth2/token")
        .unwrap();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&token.body)
        .into_owned()
        .collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "the-code");
    assert_eq!(form["redirect_uri"], format!("{}/callback", f.app));
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, form["code_verifier"].as_bytes());
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()),
        login.challenge
    );
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:web-secret", f.issuer.client_id()));
    assert_eq!(
        token.headers["authorization"],
        format!("Basic {basic}").as_str()
    );
    // The session's token goes through the layer.
    let me = f.get("/api/me", &session).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.text().await.unwrap(), "alice");
    assert_eq!(f.get("/page", &session).await.status(), 200);
}

#[tokio::test]
async fn no_session_is_401_for_api_routes_and_a_redirect_for_pages() {
    let f = fixture(|b| b).await;
    let api = f
        .http
        .get(format!("{}/api/me", f.app))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    let page = f
        .http
        .get(format!("{}/page?x=1", f.app))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(location(&page), "/login?return_to=%2Fpage%3Fx%3D1");
    let id = "A".repeat(43);
    for bad in [
        "A".repeat(42),
        "A".repeat(44),
        format!("{}=", &id[..42]),
        format!("{}+", &id[..42]),
        "../../../etc/passwd".to_owned(),
        String::new(),
        id.clone(),
    ] {
        assert_eq!(f.get("/api/me", &bad).await.status(), 401, "{bad:?}");
        let page = f.get("/page", &bad).await;
        assert_eq!(page.status(), 303, "{bad:?}");
        assert!(!location(&page).contains(&bad) || bad.is_empty(), "{bad:?}");
    }
    assert!(f.token_requests().await.is_empty());
}

#[tokio::test]
async fn a_bad_state_a_replay_and_another_browser_are_refused_without_a_token_request() {
    let f = fixture(|b| b).await;
    let one = f.login("/").await;
    let two = f.login("/").await;
    f.grant(ResponseTemplate::new(200).set_body_json(f.tokens(&one.nonce, None)))
        .await;
    // No cookie.
    let answer = f
        .http
        .get(format!("{}/callback?code=c&state={}", f.app, one.state))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    // Browser two's cookie with browser one's state (swapped).
    assert_eq!(
        f.callback(&two.cookie, &format!("code=c&state={}", one.state))
            .await
            .status(),
        400
    );
    // Browser two's transaction is used up by that attempt.
    assert_eq!(
        f.callback(&two.cookie, &format!("code=c&state={}", two.state))
            .await
            .status(),
        400
    );
    // A tampered state.
    let mut tampered = one.state.clone();
    tampered.replace_range(0..1, if tampered.starts_with('A') { "B" } else { "A" });
    assert_eq!(
        f.callback(&one.cookie, &format!("code=c&state={tampered}"))
            .await
            .status(),
        400
    );
    assert!(f.token_requests().await.is_empty());
    // A replayed callback URL.
    let three = f.login("/").await;
    let mut tokens = f.tokens(&three.nonce, None);
    tokens["refresh_token"] = json!("r");
    f.cognito.reset().await;
    f.grant(ResponseTemplate::new(200).set_body_json(tokens))
        .await;
    let params = format!("code=c3&state={}", three.state);
    assert_eq!(f.callback(&three.cookie, &params).await.status(), 303);
    assert_eq!(f.callback(&three.cookie, &params).await.status(), 400);
    assert_eq!(
        f.token_requests().await.len(),
        1,
        "the code is never sent twice"
    );
}

#[tokio::test]
async fn cognito_errors_and_endpoint_failures_have_fixed_answers() {
    let f = fixture(|b| b).await;
    let login = f.login("/").await;
    let answer = f
        .callback(
            &login.cookie,
            &format!(
                "error=access_denied&error_description=%3Cscript%3E&state={}",
                login.state
            ),
        )
        .await;
    assert_eq!(answer.status(), 400);
    let body = answer.text().await.unwrap();
    assert!(
        body.contains("(access_denied)") && !body.contains("<script>"),
        "{body}"
    );
    let login = f.login("/").await;
    let answer = f
        .callback(
            &login.cookie,
            &format!("error=%3Cb%3Ex&state={}", login.state),
        )
        .await;
    assert!(answer.text().await.unwrap().contains("(error)"));

    for (status, expected) in [(400, 400), (500, 502)] {
        f.cognito.reset().await;
        let template = if status == 400 {
            ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"}))
        } else {
            ResponseTemplate::new(500)
        };
        f.grant(template).await;
        let login = f.login("/").await;
        let answer = f
            .callback(&login.cookie, &format!("code=c&state={}", login.state))
            .await;
        assert_eq!(answer.status(), expected);
        assert!(!set_cookies(&answer).contains_key("tower-cognito-session"));
    }
    // A 2 MiB answer.
    f.cognito.reset().await;
    f.grant(ResponseTemplate::new(200).set_body_string("x".repeat(2 * 1024 * 1024)))
        .await;
    let login = f.login("/").await;
    assert_eq!(
        f.callback(&login.cookie, &format!("code=c&state={}", login.state))
            .await
            .status(),
        502
    );
}

#[tokio::test]
async fn an_id_token_breaking_a_rule_starts_no_session() {
    let f = fixture(|b| b).await;
    type Change = Box<dyn Fn(&mut serde_json::Map<String, Value>, &str)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "another aud",
            Box::new(|id, _| {
                id.insert("aud".into(), json!("another-client"));
            }),
        ),
        (
            "token_use access",
            Box::new(|id, _| {
                id.insert("token_use".into(), json!("access"));
            }),
        ),
        (
            "no nonce",
            Box::new(|id, _| {
                id.remove("nonce");
            }),
        ),
        (
            "a foreign nonce",
            Box::new(|id, _| {
                id.insert("nonce".into(), json!("someone-else"));
            }),
        ),
        (
            "exp past",
            Box::new(|id, _| {
                id.insert("exp".into(), json!(NOW - 3600));
            }),
        ),
        (
            "another user",
            Box::new(|id, _| {
                id.insert("sub".into(), json!("other-sub"));
            }),
        ),
        (
            "a wrong at_hash",
            Box::new(|id, _| {
                id.insert("at_hash".into(), json!("AAAAAAAAAAAAAAAAAAAAAA"));
            }),
        ),
    ];
    for (name, change) in cases {
        f.cognito.reset().await;
        let login = f.login("/").await;
        let mut tokens = f.tokens(&login.nonce, None);
        let id_token = tokens["id_token"].as_str().unwrap().to_owned();
        let payload = id_token.split('.').nth(1).unwrap();
        let mut claims: serde_json::Map<String, Value> = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        change(&mut claims, &login.nonce);
        tokens["id_token"] = json!(f.issuer.sign(&claims));
        f.grant(ResponseTemplate::new(200).set_body_json(tokens))
            .await;
        let answer = f
            .callback(&login.cookie, &format!("code=c&state={}", login.state))
            .await;
        assert_eq!(answer.status(), 400, "{name}");
        assert!(
            !set_cookies(&answer).contains_key("tower-cognito-session"),
            "{name}"
        );
    }
    // A matching at_hash passes.
    f.cognito.reset().await;
    let login = f.login("/").await;
    let mut tokens = f.tokens(&login.nonce, None);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access.as_bytes());
    let mut id = f.issuer.id_claims();
    id.insert("nonce".into(), json!(login.nonce));
    id.insert(
        "at_hash".into(),
        json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])),
    );
    tokens["id_token"] = json!(f.issuer.sign(&id));
    f.grant(ResponseTemplate::new(200).set_body_json(tokens))
        .await;
    let answer = f
        .callback(&login.cookie, &format!("code=c&state={}", login.state))
        .await;
    assert_eq!(answer.status(), 303);
}

#[tokio::test]
async fn only_local_return_paths_are_kept() {
    let f = fixture(|b| b).await;
    let long = format!("/{}", "a".repeat(3 * 1024));
    for bad in [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
        "http:/evil",
        " /x",
        "/x%0d%0aSet-Cookie:a=b",
        long.as_str(),
    ] {
        f.cognito.reset().await;
        let login = f.login(bad).await;
        f.grant(ResponseTemplate::new(200).set_body_json(f.tokens(&login.nonce, None)))
            .await;
        let answer = f
            .callback(&login.cookie, &format!("code=c&state={}", login.state))
            .await;
        assert_eq!(location(&answer), "/", "{bad:?}");
    }
}

#[tokio::test]
async fn logout_checks_csrf_revokes_denies_and_goes_to_cognito() {
    let f = fixture(|b| b).await;
    Mock::given(method("POST"))
        .and(path("/oauth2/revoke"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&f.cognito)
        .await;
    let session = f.sign_in().await;
    let cookie = format!("tower-cognito-session={session}");
    // Cross-site POST, and GET without the token: 403, the session stays.
    let cross = f
        .http
        .post(format!("{}/logout", f.app))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let get = f
        .http
        .get(format!("{}/logout", f.app))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 403);
    assert_eq!(f.get("/api/me", &session).await.status(), 200);
    // A same-origin POST.
    let out = f
        .http
        .post(format!("{}/logout", f.app))
        .header("cookie", &cookie)
        .header("origin", &f.app)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let to = location(&out);
    assert!(
        to.starts_with(&format!("{}/logout?", f.cognito.uri())),
        "{to}"
    );
    let q = query(&to);
    assert_eq!(q["client_id"], f.issuer.client_id());
    assert_eq!(q["logout_uri"], format!("{}/", f.app));
    let expired = out.headers()["set-cookie"].to_str().unwrap();
    assert!(expired.starts_with("tower-cognito-session=;") && expired.contains("Max-Age=0"));
    let revoke = f
        .cognito
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.url.path() == "/oauth2/revoke")
        .unwrap();
    assert_eq!(
        String::from_utf8(revoke.body).unwrap(),
        format!("token=refresh-1&client_id={}", f.issuer.client_id())
    );
    assert!(f.deny.is_revoked("origin-1", NOW, Duration::ZERO));
    assert_eq!(f.get("/api/me", &session).await.status(), 401);
    // Twice in a row: a no-op 303.
    let again = f
        .http
        .post(format!("{}/logout", f.app))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
}

#[tokio::test]
async fn logout_by_get_needs_the_session_s_token() {
    let f = fixture(|b| b).await;
    let session = f.sign_in().await;
    let cookie = format!("tower-cognito-session={session}");
    // A page reads the token from the `Session` extension to put it in its logout link.
    let csrf = f.get("/api/csrf", &session).await.text().await.unwrap();
    assert_eq!(csrf.len(), 43);
    let wrong = f
        .http
        .get(format!("{}/logout?csrf=wrong", f.app))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    assert_eq!(f.get("/api/me", &session).await.status(), 200);
    let out = f
        .http
        .get(format!("{}/logout?csrf={csrf}", f.app))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(f.get("/api/me", &session).await.status(), 401);
}

#[tokio::test]
async fn refresh_is_single_flight_keeps_rotation_and_ends_the_session_when_refused() {
    let f = fixture(|b| b).await;
    let session = f.sign_in().await;
    // Within the margin of expiry: the concurrent requests make one refresh, rotated.
    f.cognito.reset().await;
    f.clock.set(NOW + 3600 - 30);
    let mut refreshed = f.tokens("unused", Some("refresh-2"));
    let mut id = f.issuer.id_claims();
    id.remove("nonce");
    refreshed["id_token"] = json!(f.issuer.sign(&id));
    f.grant(
        ResponseTemplate::new(200)
            .set_body_json(refreshed)
            .set_delay(Duration::from_millis(200)),
    )
    .await;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let http = f.http.clone();
            let url = format!("{}/api/me", f.app);
            let cookie = format!("tower-cognito-session={session}");
            tokio::spawn(async move {
                http.get(url)
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 200);
    }
    let sent = f.token_requests().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("grant_type=refresh_token&refresh_token=refresh-1"),
        "{}",
        sent[0]
    );
    // The rotated token is the one the next refresh sends.
    f.cognito.reset().await;
    f.clock.set(NOW + 2 * 3600 - 30);
    f.grant(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"})))
        .await;
    assert_eq!(f.get("/api/me", &session).await.status(), 401);
    let sent = f.token_requests().await;
    assert!(sent[0].contains("refresh_token=refresh-2"), "{}", sent[0]);
    // The session ended: no more refresh attempts, a page redirects to the sign-in.
    assert_eq!(f.get("/page", &session).await.status(), 303);
    assert_eq!(f.token_requests().await.len(), 1);
}

#[tokio::test]
async fn an_outage_with_an_expired_token_is_503_and_keeps_the_session() {
    let f = fixture(|b| b).await;
    let session = f.sign_in().await;
    f.cognito.reset().await;
    f.grant(ResponseTemplate::new(503)).await;
    // Within the margin, the token still valid: served as it is.
    f.clock.set(NOW + 3600 - 30);
    assert_eq!(f.get("/api/me", &session).await.status(), 200);
    // Expired: 503, and the session is still there once the endpoint is back.
    f.clock.set(NOW + 3600 + 5);
    assert_eq!(f.get("/api/me", &session).await.status(), 503);
    f.cognito.reset().await;
    let mut refreshed = f.tokens("unused", None);
    let mut id = f.issuer.id_claims();
    id.remove("nonce");
    refreshed["id_token"] = json!(f.issuer.sign(&id));
    f.grant(ResponseTemplate::new(200).set_body_json(refreshed))
        .await;
    assert_eq!(f.get("/api/me", &session).await.status(), 200);
}

/// A store that fails when told to.
#[derive(Debug, Default)]
struct Flaky {
    store: MemoryStore,
    down: Arc<AtomicBool>,
}

impl SessionStore for Flaky {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        if self.down.load(Ordering::Relaxed) {
            return Box::pin(async { Err(StoreError::new("down", None)) });
        }
        self.store.get(key)
    }
    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StoreFuture<'a, ()> {
        if self.down.load(Ordering::Relaxed) {
            return Box::pin(async { Err(StoreError::new("down", None)) });
        }
        self.store.put(key, value, ttl)
    }
    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        if self.down.load(Ordering::Relaxed) {
            return Box::pin(async { Err(StoreError::new("down", None)) });
        }
        self.store.take(key)
    }
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.store.delete(key)
    }
}

#[tokio::test]
async fn a_store_that_is_down_fails_closed() {
    let down = Arc::new(AtomicBool::new(false));
    let store = Flaky {
        store: MemoryStore::new(),
        down: Arc::clone(&down),
    };
    let f = fixture(move |b| b.store(store)).await;
    let session = f.sign_in().await;
    down.store(true, Ordering::Relaxed);
    assert_eq!(f.get("/api/me", &session).await.status(), 503);
    assert_eq!(f.get("/page", &session).await.status(), 503);
    let login = f.http.get(format!("{}/login", f.app)).send().await.unwrap();
    assert_eq!(login.status(), 503);
    down.store(false, Ordering::Relaxed);
    assert_eq!(f.get("/api/me", &session).await.status(), 200);
}

#[tokio::test]
async fn the_step_up_challenge_sends_max_age_and_acr_values_to_managed_login() {
    use tower_cognito::Require;
    let f = fixture(|b| b).await;
    // A page behind a step-up guard: a sign-in at most 5 minutes old.
    let session = f.sign_in().await;
    f.clock.set(NOW + 600);
    let config = f
        .issuer
        .config()
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    let auth = CognitoAuthLayer::builder(config)
        .static_keys(f.issuer.key_set())
        .build()
        .unwrap();
    let web = WebSignIn::builder(
        f.cognito.uri(),
        f.issuer.client_id(),
        format!("{}/callback", f.app),
    )
    .clock(Arc::clone(&f.clock))
    .build(&auth)
    .unwrap();
    let guard = auth.guard(Require::max_age(Duration::from_secs(300)));
    let page = Router::new()
        .route("/sensitive", get(|| async { "ok" }).route_layer(guard))
        .route_layer(auth)
        .layer(web.page_layer());
    let answer = tower::ServiceExt::oneshot(
        page,
        http::Request::get("/sensitive")
            .header(
                "authorization",
                format!("Bearer {}", {
                    let mut access = f.issuer.access_claims();
                    access.insert("auth_time".into(), json!(NOW));
                    f.issuer.sign(&access)
                }),
            )
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 303);
    let to = answer.headers()["location"].to_str().unwrap();
    assert_eq!(to, "/login?return_to=%2Fsensitive&max_age=300");
    // `/login` passes it on to managed login.
    let login = f.http.get(format!("{}{to}", f.app)).send().await.unwrap();
    let q = query(&location(&login));
    assert_eq!(q["max_age"], "300");
    let _ = session;
}

/// Sessions through Redis: a replica that did not see the sign-in serves the session, finishes a
/// sign-in another replica started (the transaction taken once across replicas), and a restart
/// (a new connection) loses nothing.
#[cfg(feature = "redis")]
#[tokio::test]
#[ignore = "needs REDIS_URL: run cargo xtask test"]
async fn sessions_are_shared_by_replicas_through_redis() {
    use tower_cognito_client::web::RedisStore;
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let first = RedisStore::connect(&url).await.unwrap();
    let f = fixture(move |b| b.store(first)).await;
    let session = f.sign_in().await;
    // Replica two: its own connection, the same Redis.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let two = format!("http://{}", listener.local_addr().unwrap());
    let web = WebSignIn::builder(
        f.cognito.uri(),
        f.issuer.client_id(),
        format!("{}/callback", f.app),
    )
    .client_secret("web-secret")
    .scopes("openid email")
    .clock(Arc::clone(&f.clock))
    .store(RedisStore::connect(&url).await.unwrap())
    .build(&f.auth)
    .unwrap();
    let _replica = serve(listener, &web, &f.auth);
    let on_two = |path: &str| {
        f.http
            .get(format!("{two}{path}"))
            .header("cookie", format!("tower-cognito-session={session}"))
            .send()
    };
    let me = on_two("/api/me").await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.text().await.unwrap(), "alice");
    // A sign-in started on one replica ends on the other, once.
    f.cognito.reset().await;
    let login = f.login("/").await;
    f.grant(ResponseTemplate::new(200).set_body_json(f.tokens(&login.nonce, None)))
        .await;
    let params = format!("code=c&state={}", login.state);
    let callback = |base: String| {
        f.http
            .get(format!("{base}/callback?{params}"))
            .header("cookie", format!("tower-cognito-login={}", login.cookie))
            .send()
    };
    assert_eq!(callback(two.clone()).await.unwrap().status(), 303);
    assert_eq!(callback(f.app.clone()).await.unwrap().status(), 400);
    // A restart: a new store on the same Redis still has the session.
    let restarted = RedisStore::connect(&url).await.unwrap();
    let keys: Vec<u8> = restarted
        .get(&format!("tower-cognito:session:{session}"))
        .await
        .unwrap()
        .unwrap();
    assert!(!keys.is_empty());
    // Logout on replica two ends it everywhere.
    let out = f
        .http
        .post(format!("{two}/logout"))
        .header("cookie", format!("tower-cognito-session={session}"))
        .header("origin", &f.app)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(f.get("/api/me", &session).await.status(), 401);
}
