//! The local user pool's managed-login side, driven with reqwest as a browser and an app
//! would (no redirect followed, cookies kept by hand): `/oauth2/authorize` and its sign-in page,
//! the code flow with PKCE, `/oauth2/token` (authorization_code, refresh_token),
//! `/oauth2/revoke`, `/oauth2/userInfo`, `/logout` and the discovery document, each rule and
//! each refusal.
//!
//! Run: `cargo test -p tower-cognito-client --all-features --test it managed_login::`.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use tower_cognito::clock::FixedClock;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{CognitoAuthLayer, TokenUse};
use tower_cognito_client::test_util::{
    LocalUserPool, LocalUserPoolBuilder, UserPoolServer, totp_code,
};

const CALLBACK: &str = "http://127.0.0.1:9/callback";
const OTHER_CALLBACK: &str = "https://app.example/cb";
const SIGNED_OUT: &str = "http://localhost:9/signed-out";
/// A secret with `+` and `/`: sent raw in `Authorization: Basic`, never form-encoded first.
const SECRET: &str = "app+secret/1q2w3e4r";
const PASSWORD: &str = "Corr3ct-horse-battery";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-local-verifier";
/// A `state` with characters that need encoding: it must come back exactly.
const STATE: &str = "st/at+e &=x";
const NONCE: &str = "n-0S6_WzA2Mj";
const START: u64 = 1_800_000_000;

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
}

struct Fixture {
    pool: LocalUserPool,
    server: UserPoolServer,
    clock: Arc<FixedClock>,
    http: reqwest::Client,
}

async fn fixture_with(
    settings: impl FnOnce(LocalUserPoolBuilder) -> LocalUserPoolBuilder,
) -> Fixture {
    let clock = Arc::new(FixedClock::new(START));
    let issuer = LocalIssuer::builder()
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    let builder = LocalUserPool::builder()
        .issuer(issuer)
        .callback_urls([CALLBACK, OTHER_CALLBACK])
        .logout_urls([SIGNED_OUT]);
    let pool = settings(builder).build().unwrap();
    let server = pool.serve().await.unwrap();
    pool.create_user(
        "alice",
        PASSWORD,
        &[
            ("email", "alice@example.com"),
            ("email_verified", "true"),
            ("phone_number", "+15555550100"),
            ("phone_number_verified", "false"),
            ("name", "Alice Liddell"),
            ("custom:team", "red"),
        ],
    )
    .await
    .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Fixture {
        pool,
        server,
        clock,
        http,
    }
}

async fn fixture() -> Fixture {
    fixture_with(|b| b.client_secret(SECRET)).await
}

/// The parameters of a good authorization request.
fn good_request() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("response_type", "code".to_owned()),
        (
            "client_id",
            tower_cognito::test_util::LOCAL_CLIENT_ID.to_owned(),
        ),
        ("redirect_uri", CALLBACK.to_owned()),
        ("state", STATE.to_owned()),
        ("scope", "openid email profile".to_owned()),
        ("code_challenge", challenge(VERIFIER)),
        ("code_challenge_method", "S256".to_owned()),
        ("nonce", NONCE.to_owned()),
    ])
}

/// A browser: no redirect followed, cookies of the pool's domain kept.
struct Browser {
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new() -> Self {
        Self {
            cookies: BTreeMap::new(),
        }
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let text = header.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, f: &Fixture, url: &str) -> reqwest::Response {
        let mut request = f.http.get(url);
        if !self.cookies.is_empty() {
            request = request.header(reqwest::header::COOKIE, self.cookie_header());
        }
        let response = request.send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    async fn post(&mut self, f: &Fixture, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = f
            .http
            .post(format!("{}{path}", f.server.domain()))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(encode(form));
        if !self.cookies.is_empty() {
            request = request.header(reqwest::header::COOKIE, self.cookie_header());
        }
        let response = request.send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    /// Sends alice's user name and password on the sign-in page of `transaction`.
    async fn send_password(&mut self, f: &Fixture, transaction: &str) -> reqwest::Response {
        let form = [
            ("transaction", transaction),
            ("username", "alice"),
            ("password", PASSWORD),
        ];
        self.post(f, "/login", &form).await
    }

    async fn authorize(
        &mut self,
        f: &Fixture,
        params: &BTreeMap<&str, String>,
    ) -> reqwest::Response {
        let query = encode(
            &params
                .iter()
                .map(|(n, v)| (*n, v.as_str()))
                .collect::<Vec<_>>(),
        );
        let url = format!("{}/oauth2/authorize?{query}", f.server.domain());
        self.get(f, &url).await
    }

    /// Authorize, then sign in as alice: the callback URL the pool redirects to.
    async fn sign_in(&mut self, f: &Fixture, params: &BTreeMap<&str, String>) -> url::Url {
        let page = self.authorize(f, params).await;
        assert_eq!(page.status(), 200);
        let transaction = hidden_transaction(&page.text().await.unwrap());
        let answer = self
            .post(
                f,
                "/login",
                &[
                    ("transaction", &transaction),
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("signin", "1"),
                ],
            )
            .await;
        assert_eq!(answer.status(), 302, "{}", answer.text().await.unwrap());
        location(&answer)
    }
}

fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (n, v) in pairs {
        out.append_pair(n, v);
    }
    out.finish()
}

fn hidden_transaction(html: &str) -> String {
    let marker = "name=\"transaction\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

fn location(response: &reqwest::Response) -> url::Url {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap();
    url::Url::parse(location).unwrap()
}

fn query_of(url: &url::Url) -> BTreeMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// The code of a callback URL, after checking where it goes and its `state`.
fn code_of(callback: &url::Url) -> String {
    assert!(callback.as_str().starts_with(CALLBACK), "{callback}");
    let query = query_of(callback);
    assert_eq!(query.get("state").map(String::as_str), Some(STATE));
    assert!(!query.contains_key("error"), "{callback}");
    query["code"].clone()
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// `POST /oauth2/token` with `client_secret_basic`.
async fn token(f: &Fixture, form: &[(&str, &str)]) -> (u16, Value) {
    token_with(f, Some(basic(f.pool.client_id(), SECRET)), form).await
}

async fn token_with(
    f: &Fixture,
    authorization: Option<String>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = f
        .http
        .post(format!("{}/oauth2/token", f.server.domain()))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(encode(form));
    if let Some(authorization) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, authorization);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn redeem(f: &Fixture, code: &str) -> (u16, Value) {
    token(
        f,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn refresh(f: &Fixture, refresh_token: &str) -> (u16, Value) {
    token(
        f,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn layer(f: &Fixture, token_use: TokenUse) -> CognitoAuthLayer {
    let config = f.pool.config().token_use(token_use).build().unwrap();
    CognitoAuthLayer::builder(config)
        .static_keys(f.pool.issuer().key_set())
        .build()
        .unwrap()
}

async fn userinfo(f: &Fixture, authorization: Option<&str>) -> reqwest::Response {
    let mut request = f.http.get(format!("{}/oauth2/userInfo", f.server.domain()));
    if let Some(authorization) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, authorization);
    }
    request.send().await.unwrap()
}

async fn revoke(
    f: &Fixture,
    authorization: Option<String>,
    form: &[(&str, &str)],
) -> (u16, String) {
    let mut request = f
        .http
        .post(format!("{}/oauth2/revoke", f.server.domain()))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(encode(form));
    if let Some(authorization) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, authorization);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn oauth_error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_code_flow_with_pkce_gives_tokens_the_layer_accepts() {
    let f = fixture().await;
    let mut browser = Browser::new();
    let page = browser.authorize(&f, &good_request()).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(browser.cookies.contains_key("XSRF-TOKEN"));
    let html = page.text().await.unwrap();
    for needle in [
        "<form method=\"post\" action=\"/login\">",
        "name=\"username\"",
        "name=\"password\"",
        "id=\"signin\"",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    let transaction = hidden_transaction(&html);
    let answer = browser.send_password(&f, &transaction).await;
    assert_eq!(answer.status(), 302);
    assert!(
        browser.cookies.contains_key("cognito"),
        "managed-login cookie"
    );
    assert!(!browser.cookies.contains_key("XSRF-TOKEN"), "spent");
    let code = code_of(&location(&answer));

    let (status, body) = redeem(&f, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["refresh_token"].is_string());
    let access_token = body["access_token"].as_str().unwrap();
    let id_token = body["id_token"].as_str().unwrap();

    let access = layer(&f, TokenUse::Access).verify(access_token).unwrap();
    assert_eq!(access.scope.as_str(), "openid email profile");
    assert_eq!(access.username(), Some("alice"));
    assert_eq!(access.auth_time, Some(START));
    let id = layer(&f, TokenUse::Id).verify(id_token).unwrap();
    assert_eq!(id.username(), Some("alice"));
    assert_eq!(id.email_verified, Some(true));
    assert_eq!(id.origin_jti, access.origin_jti);
    let id_claims = payload(id_token);
    assert_eq!(id_claims["nonce"], NONCE);
    let hash = digest::digest(&digest::SHA256, access_token.as_bytes());
    assert_eq!(
        id_claims["at_hash"],
        URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16])
    );
    // Same issuer and shape as the API's tokens.
    assert_eq!(id_claims["iss"], f.pool.issuer().issuer());
    assert_eq!(payload(access_token)["client_id"], f.pool.client_id());
    assert!(payload(access_token).get("aud").is_none());

    // The sign-in's API tokens were never handed out, and nothing else was issued.
    let requests = f.pool.authorization_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].nonce.as_deref(), Some(NONCE));
    assert_eq!(requests[0].state.as_deref(), Some(STATE));
}

#[tokio::test]
async fn a_bad_client_or_redirect_uri_is_a_page_never_a_redirect() {
    let f = fixture().await;
    let mut browser = Browser::new();
    let cases: [(&str, Option<&str>); 9] = [
        ("client_id", Some("someoneelse")),
        ("client_id", None),
        ("redirect_uri", None),
        ("redirect_uri", Some("http://127.0.0.1:9/callback/")),
        ("redirect_uri", Some("http://127.0.0.1:9/Callback")),
        ("redirect_uri", Some("http://127.0.0.1:9/callback?x=1")),
        ("redirect_uri", Some("http://127.0.0.1:10/callback")),
        ("redirect_uri", Some("http://localhost:9/callback")),
        ("redirect_uri", Some("https://evil.example/cb")),
    ];
    for (name, value) in cases {
        let mut params = good_request();
        match value {
            Some(value) => params.insert(name, value.to_owned()),
            None => params.remove(name),
        };
        let answer = browser.authorize(&f, &params).await;
        assert_eq!(answer.status(), 400, "{name}={value:?}");
        assert!(answer.headers().get(reqwest::header::LOCATION).is_none());
        assert!(
            answer.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    // A repeated redirect_uri is a page too, even when both are registered.
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&redirect_uri={}",
        f.server.domain(),
        f.pool.client_id(),
        encode(&[("x", CALLBACK)]).trim_start_matches("x="),
        encode(&[("x", CALLBACK)]).trim_start_matches("x="),
    );
    let answer = browser.get(&f, &url).await;
    assert_eq!(answer.status(), 400);
    // The other registered callback URL is accepted.
    let mut params = good_request();
    params.insert("redirect_uri", OTHER_CALLBACK.to_owned());
    assert_eq!(browser.authorize(&f, &params).await.status(), 200);
    assert_eq!(f.pool.authorization_requests().len(), 1);
}

#[tokio::test]
async fn other_authorization_errors_go_back_to_the_redirect_uri_with_the_state() {
    let f = fixture_with(|b| b.client_secret(SECRET).custom_scopes(["orders/read"])).await;
    let mut browser = Browser::new();
    let cases: [(&str, Option<&str>, &str); 13] = [
        ("response_type", Some("token"), "unsupported_response_type"),
        ("response_type", None, "invalid_request"),
        ("code_challenge_method", Some("plain"), "invalid_request"),
        ("code_challenge_method", Some("s256"), "invalid_request"),
        ("code_challenge_method", None, "invalid_request"),
        ("code_challenge", None, "invalid_request"),
        ("code_challenge", Some("too-short"), "invalid_request"),
        ("scope", Some("email"), "invalid_scope"),
        ("scope", Some("openid admin"), "invalid_scope"),
        ("scope", Some("openid orders/write"), "invalid_scope"),
        ("scope", Some(" "), "invalid_scope"),
        ("max_age", Some("soon"), "invalid_request"),
        ("max_age", Some("-1"), "invalid_request"),
    ];
    for (name, value, error) in cases {
        let mut params = good_request();
        match value {
            Some(value) => params.insert(name, value.to_owned()),
            None => params.remove(name),
        };
        let answer = browser.authorize(&f, &params).await;
        assert_eq!(answer.status(), 302, "{name}={value:?}");
        let target = location(&answer);
        assert!(target.as_str().starts_with(CALLBACK));
        let query = query_of(&target);
        assert_eq!(
            query.get("error").map(String::as_str),
            Some(error),
            "{name}={value:?}"
        );
        assert_eq!(query.get("state").map(String::as_str), Some(STATE));
        assert!(!query.contains_key("code"));
    }
    // Neither PKCE parameter: refused, as the pool requires PKCE by default.
    let mut params = good_request();
    params.remove("code_challenge");
    params.remove("code_challenge_method");
    let answer = browser.authorize(&f, &params).await;
    assert_eq!(query_of(&location(&answer))["error"], "invalid_request");
    // A repeated parameter.
    let url = format!(
        "{}/oauth2/authorize?{}&state=again",
        f.server.domain(),
        encode(
            &good_request()
                .iter()
                .map(|(n, v)| (*n, v.as_str()))
                .collect::<Vec<_>>()
        )
    );
    let answer = browser.get(&f, &url).await;
    assert_eq!(query_of(&location(&answer))["error"], "invalid_request");
    // A resource-server scope of the client, and identity_provider, lang, acr_values, max_age
    // accepted and recorded.
    let mut params = good_request();
    params.insert("scope", "openid orders/read".to_owned());
    params.insert("identity_provider", "COGNITO".to_owned());
    params.insert("lang", "fr".to_owned());
    params.insert(
        "acr_values",
        "urn:cognito:loa:3 urn:cognito:loa:2".to_owned(),
    );
    params.insert("max_age", "300".to_owned());
    assert_eq!(browser.authorize(&f, &params).await.status(), 200);
    let recorded = f.pool.authorization_requests();
    assert_eq!(recorded.len(), 1, "only accepted requests are recorded");
    let recorded = &recorded[0];
    assert_eq!(recorded.scope.as_deref(), Some("openid orders/read"));
    assert_eq!(recorded.identity_provider.as_deref(), Some("COGNITO"));
    assert_eq!(recorded.lang.as_deref(), Some("fr"));
    assert_eq!(
        recorded.acr_values.as_deref(),
        Some("urn:cognito:loa:3 urn:cognito:loa:2")
    );
    assert_eq!(recorded.max_age, Some(300));
    assert_eq!(recorded.code_challenge_method.as_deref(), Some("S256"));
}

#[tokio::test]
async fn without_scope_every_scope_of_the_client_is_granted() {
    let f = fixture().await;
    let mut params = good_request();
    params.remove("scope");
    let code = code_of(&Browser::new().sign_in(&f, &params).await);
    let (_, body) = redeem(&f, &code).await;
    assert_eq!(
        payload(body["access_token"].as_str().unwrap())["scope"],
        "openid email phone profile aws.cognito.signin.user.admin"
    );
    // Without openid: an access token only.
    let mut params = good_request();
    params.insert("scope", "aws.cognito.signin.user.admin".to_owned());
    let code = code_of(&Browser::new().sign_in(&f, &params).await);
    let (status, body) = redeem(&f, &code).await;
    assert_eq!(status, 200);
    assert!(body.get("id_token").is_none(), "{body}");
    let (status, body) = refresh(&f, body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(body.get("id_token").is_none(), "{body}");
}

#[tokio::test]
async fn a_wrong_password_shows_the_page_again_and_no_redirect() {
    let f = fixture().await;
    let mut browser = Browser::new();
    let page = browser.authorize(&f, &good_request()).await;
    let transaction = hidden_transaction(&page.text().await.unwrap());
    for (username, password) in [
        ("alice", "Wr0ng-password!"),
        ("nobody", PASSWORD),
        ("alice", ""),
    ] {
        let answer = browser
            .post(
                &f,
                "/login",
                &[
                    ("transaction", &transaction),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(answer.status(), 200);
        assert!(answer.headers().get(reqwest::header::LOCATION).is_none());
        let html = answer.text().await.unwrap();
        assert!(html.contains("id=\"error\""), "{html}");
        assert!(html.contains("name=\"password\""));
        assert_eq!(hidden_transaction(&html), transaction);
    }
    assert!(!browser.cookies.contains_key("cognito"));
    // The right password on the same transaction still works.
    let answer = browser.send_password(&f, &transaction).await;
    code_of(&location(&answer));
}

#[tokio::test]
async fn the_form_is_accepted_only_from_the_browser_it_was_shown_to() {
    let f = fixture().await;
    let mut victim = Browser::new();
    let page = victim.authorize(&f, &good_request()).await;
    let transaction = hidden_transaction(&page.text().await.unwrap());
    let form = [
        ("transaction", transaction.as_str()),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    // Another browser (no XSRF-TOKEN cookie, or its own) cannot send it.
    let mut other = Browser::new();
    assert_eq!(other.post(&f, "/login", &form).await.status(), 403);
    other.authorize(&f, &good_request()).await;
    assert!(other.cookies.contains_key("XSRF-TOKEN"));
    let answer = other.post(&f, "/login", &form).await;
    assert_eq!(answer.status(), 403);
    assert!(answer.headers().get(reqwest::header::LOCATION).is_none());
    // An unknown transaction, and a form that is not form-encoded.
    let unknown = [
        ("transaction", "nope"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    assert_eq!(victim.post(&f, "/login", &unknown).await.status(), 400);
    // The transaction expires with the pool's clock.
    f.clock.advance(601);
    let answer = victim.post(&f, "/login", &form).await;
    assert_eq!(answer.status(), 400);
}

#[tokio::test]
async fn a_user_with_mfa_gets_a_code_page() {
    let f = fixture().await;
    assert!(f.pool.enable_sms_mfa("alice"));
    let mut browser = Browser::new();
    let page = browser.authorize(&f, &good_request()).await;
    let transaction = hidden_transaction(&page.text().await.unwrap());
    let answer = browser.send_password(&f, &transaction).await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(html.contains("name=\"code\""), "{html}");
    assert!(html.contains("SMS_MFA"));
    assert!(!html.contains("name=\"password\""));
    let sent = f.pool.last_code("alice").unwrap();
    let wrong = if sent == "000000" { "111111" } else { "000000" };
    let answer = browser
        .post(
            &f,
            "/login",
            &[("transaction", &transaction), ("code", wrong)],
        )
        .await;
    assert_eq!(answer.status(), 200);
    assert!(answer.headers().get(reqwest::header::LOCATION).is_none());
    assert!(answer.text().await.unwrap().contains("id=\"error\""));
    let answer = browser
        .post(
            &f,
            "/login",
            &[("transaction", &transaction), ("code", &sent)],
        )
        .await;
    assert_eq!(answer.status(), 302);
    let (status, _) = redeem(&f, &code_of(&location(&answer))).await;
    assert_eq!(status, 200);
}

/// The user-pool API's token-authorized operations need `aws.cognito.signin.user.admin` in the
/// access token: a managed-login token without it is refused (`NotAuthorizedException`, "Access
/// Token does not have required scopes"), one with it accepted.
#[tokio::test]
async fn the_user_api_needs_the_admin_scope() {
    let f = fixture().await;
    let client =
        tower_cognito_client::UserPoolClient::builder(f.pool.user_pool_id(), f.pool.client_id())
            .endpoint(f.server.endpoint())
            .build()
            .unwrap();
    for (scope, allowed) in [
        ("openid email profile", false),
        ("openid aws.cognito.signin.user.admin", true),
    ] {
        let mut params = good_request();
        params.insert("scope", scope.to_owned());
        let callback = Browser::new().sign_in(&f, &params).await;
        let (status, tokens) = redeem(&f, &code_of(&callback)).await;
        assert_eq!(status, 200, "{tokens}");
        let access = tower_cognito_client::Secret::new(tokens["access_token"].as_str().unwrap());
        let answer = client.get_user(&access).await.map(|user| user.username);
        if allowed {
            assert_eq!(answer.unwrap(), "alice");
        } else {
            let error = answer.unwrap_err();
            assert_eq!(error.type_name(), Some("NotAuthorizedException"), "{error}");
            assert_eq!(
                error.message(),
                Some("Access Token does not have required scopes")
            );
        }
    }
}

/// A user with two MFA methods on and none preferred chooses one on a page (`SELECT_MFA_TYPE`):
/// no choice or one not offered shows the choice again, the email method then asks for the code
/// sent by email, which gives the redirect with a code.
#[tokio::test]
async fn a_user_with_two_mfa_methods_chooses_one() {
    let f = fixture().await;
    assert!(f.pool.enable_sms_mfa("alice"));
    assert!(f.pool.enable_email_mfa("alice"));
    let mut browser = Browser::new();
    let page = browser.authorize(&f, &good_request()).await;
    let transaction = hidden_transaction(&page.text().await.unwrap());
    let answer = browser.send_password(&f, &transaction).await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(html.contains("id=\"mfa_SMS_MFA\""), "{html}");
    assert!(html.contains("id=\"mfa_EMAIL_OTP\""), "{html}");
    assert!(!html.contains("SOFTWARE_TOKEN_MFA"), "{html}");
    assert!(!html.contains("name=\"code\""), "{html}");
    for choice in [
        vec![("transaction", transaction.as_str())],
        vec![
            ("transaction", transaction.as_str()),
            ("mfa", "SOFTWARE_TOKEN_MFA"),
        ],
    ] {
        let answer = browser.post(&f, "/login", &choice).await;
        assert_eq!(answer.status(), 200);
        let html = answer.text().await.unwrap();
        assert!(
            html.contains("id=\"error\"") && html.contains("mfa_EMAIL_OTP"),
            "{html}"
        );
    }
    let answer = browser
        .post(
            &f,
            "/login",
            &[("transaction", &transaction), ("mfa", "EMAIL_OTP")],
        )
        .await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(
        html.contains("name=\"code\"") && html.contains("EMAIL_OTP"),
        "{html}"
    );
    let sent = f.pool.last_code("alice").unwrap();
    let answer = browser
        .post(
            &f,
            "/login",
            &[("transaction", &transaction), ("code", &sent)],
        )
        .await;
    assert_eq!(answer.status(), 302);
    let (status, _) = redeem(&f, &code_of(&location(&answer))).await;
    assert_eq!(status, 200);
}

/// The page offers the pool's passwordless first factors (`USER_AUTH`): "Email me a sign-in
/// code" asks for the code sent, a wrong one shows the page again, the right one gives the
/// redirect with a code whose tokens name the user. A pool that allows passwords only shows no
/// such button.
#[tokio::test]
async fn a_passwordless_sign_in_with_an_emailed_code() {
    let f = fixture().await;
    let mut browser = Browser::new();
    let page = browser.authorize(&f, &good_request()).await;
    assert!(!page.text().await.unwrap().contains("email_code"));

    let f = fixture_with(|b| {
        b.client_secret(SECRET)
            .allowed_first_auth_factors(["PASSWORD", "EMAIL_OTP"])
    })
    .await;
    let mut browser = Browser::new();
    let page = browser.authorize(&f, &good_request()).await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("id=\"email_code\" name=\"method\" value=\"EMAIL_OTP\""),
        "{html}"
    );
    assert!(!html.contains("sms_code"));
    let transaction = hidden_transaction(&html);
    let answer = browser
        .post(
            &f,
            "/login",
            &[
                ("transaction", &transaction),
                ("username", "alice"),
                ("method", "EMAIL_OTP"),
            ],
        )
        .await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(html.contains("data-challenge=\"EMAIL_OTP\""), "{html}");
    assert!(html.contains("sent to your email"));
    let sent = f.pool.last_code("alice").unwrap();
    let wrong = if sent == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let answer = browser
        .post(
            &f,
            "/login",
            &[("transaction", &transaction), ("code", wrong)],
        )
        .await;
    assert_eq!(answer.status(), 200);
    assert!(answer.text().await.unwrap().contains("id=\"error\""));
    let answer = browser
        .post(
            &f,
            "/login",
            &[("transaction", &transaction), ("code", &sent)],
        )
        .await;
    assert_eq!(answer.status(), 302, "{}", answer.text().await.unwrap());
    let (status, tokens) = redeem(&f, &code_of(&location(&answer))).await;
    assert_eq!(status, 200);
    let access = payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["username"], "alice");
}

#[tokio::test]
async fn a_temporary_password_asks_for_a_new_one() {
    let f = fixture().await;
    f.pool
        .create_user_with_temporary_password("bob", "T3mporary-pass!", &[])
        .await
        .unwrap();
    let mut browser = Browser::new();
    let page = browser.authorize(&f, &good_request()).await;
    let transaction = hidden_transaction(&page.text().await.unwrap());
    let answer = browser
        .post(
            &f,
            "/login",
            &[
                ("transaction", &transaction),
                ("username", "bob"),
                ("password", "T3mporary-pass!"),
            ],
        )
        .await;
    let html = answer.text().await.unwrap();
    assert!(html.contains("name=\"new_password\""), "{html}");
    let weak = browser
        .post(
            &f,
            "/login",
            &[("transaction", &transaction), ("new_password", "weak")],
        )
        .await;
    assert_eq!(weak.status(), 200);
    assert!(weak.text().await.unwrap().contains("id=\"error\""));
    let answer = browser
        .post(
            &f,
            "/login",
            &[
                ("transaction", &transaction),
                ("new_password", "N3w-Corr3ct-horse!"),
            ],
        )
        .await;
    assert_eq!(answer.status(), 302);
    code_of(&location(&answer));
}

#[tokio::test]
async fn a_code_is_single_use_and_a_replay_revokes_its_tokens() {
    let f = fixture().await;
    let code = code_of(&Browser::new().sign_in(&f, &good_request()).await);
    let (status, first) = redeem(&f, &code).await;
    assert_eq!(status, 200);
    let (status, body) = redeem(&f, &code).await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_grant"));
    // The replay revoked what the code gave.
    let (status, body) = refresh(&f, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_grant"));
    let bearer = format!("Bearer {}", first["access_token"].as_str().unwrap());
    assert_eq!(userinfo(&f, Some(&bearer)).await.status(), 401);
    // An unknown code.
    let (status, body) = redeem(&f, "not-a-code").await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_grant"));
}

#[tokio::test]
async fn a_code_expires_after_five_minutes_on_the_pool_clock() {
    let f = fixture().await;
    let fresh = code_of(&Browser::new().sign_in(&f, &good_request()).await);
    let stale = code_of(&Browser::new().sign_in(&f, &good_request()).await);
    f.clock.advance(299);
    assert_eq!(redeem(&f, &fresh).await.0, 200);
    f.clock.advance(1);
    let (status, body) = redeem(&f, &stale).await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_grant"));
}

#[tokio::test]
async fn the_token_request_must_match_the_code_and_authenticate_the_client() {
    let f = fixture().await;
    let id = f.pool.client_id().to_owned();
    let new_code = || async { code_of(&Browser::new().sign_in(&f, &good_request()).await) };
    let with = |code: &str, redirect: &str, verifier: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", redirect.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>, auth: Option<String>| {
        let f = &f;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
            token_with(f, auth, &form).await
        }
    };
    let good_auth = || Some(basic(&id, SECRET));
    let other_verifier = "x".repeat(43);
    // Each refusal burns the code: a second try with everything right is refused too.
    for (redirect, verifier) in [
        (OTHER_CALLBACK, VERIFIER),
        ("http://127.0.0.1:9/callback/", VERIFIER),
        (CALLBACK, other_verifier.as_str()),
    ] {
        let code = new_code().await;
        let (status, body) = send(with(&code, redirect, verifier), good_auth()).await;
        assert_eq!(
            (status, oauth_error(&body)),
            (400, "invalid_grant"),
            "{redirect} {verifier}"
        );
        let (status, _) = send(with(&code, CALLBACK, VERIFIER), good_auth()).await;
        assert_eq!(status, 400);
    }
    // A code with a challenge needs its verifier; a malformed verifier is a bad request.
    let code = new_code().await;
    let mut form = with(&code, CALLBACK, VERIFIER);
    form.pop();
    assert_eq!(
        oauth_error(&send(form, good_auth()).await.1),
        "invalid_grant"
    );
    let code = new_code().await;
    let (status, body) = send(with(&code, CALLBACK, "short"), good_auth()).await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_request"));
    // Client authentication: refused ones do not burn the code.
    let code = new_code().await;
    let refusals = [
        Some(basic(&id, "wrong-secret")),
        Some(basic("someoneelse", SECRET)),
        // The secret form-encoded first (RFC 6749 2.3.1): not Cognito's form, refused.
        Some(basic(&id, "app%2Bsecret%2F1q2w3e4r")),
        Some("Basic !!!".to_owned()),
        None,
    ];
    for auth in refusals {
        let (status, body) = send(with(&code, CALLBACK, VERIFIER), auth.clone()).await;
        assert_eq!(
            (status, oauth_error(&body)),
            (400, "invalid_client"),
            "{auth:?}"
        );
    }
    // client_id alone (as a public client would) for a client with a secret.
    let mut form = with(&code, CALLBACK, VERIFIER);
    form.push(("client_id", id.clone()));
    assert_eq!(
        oauth_error(&send(form.clone(), None).await.1),
        "invalid_client"
    );
    // client_secret_post works.
    form.push(("client_secret", SECRET.to_owned()));
    let (status, body) = send(form, None).await;
    assert_eq!(status, 200, "{body}");
    // Basic plus the same client_id in the body works.
    let code = new_code().await;
    let mut form = with(&code, CALLBACK, VERIFIER);
    form.push(("client_id", id.clone()));
    assert_eq!(send(form, good_auth()).await.0, 200);
    // Missing code or redirect_uri.
    let (status, body) = send(
        vec![("grant_type", "authorization_code".to_owned())],
        good_auth(),
    )
    .await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_request"));
}

#[tokio::test]
async fn a_public_client_sends_its_id_only() {
    let f = fixture_with(|b| b).await;
    let id = f.pool.client_id().to_owned();
    let code = code_of(&Browser::new().sign_in(&f, &good_request()).await);
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = token_with(&f, Some(basic(&id, "a-secret")), &form).await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_client"));
    form.push(("client_id", id.as_str()));
    let (status, body) = token_with(&f, None, &form).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn without_required_pkce_a_code_without_challenge_refuses_a_verifier() {
    let f = fixture_with(|b| b.client_secret(SECRET).require_pkce(false)).await;
    let mut params = good_request();
    params.remove("code_challenge");
    params.remove("code_challenge_method");
    let code = code_of(&Browser::new().sign_in(&f, &params).await);
    let (status, body) = redeem(&f, &code).await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_grant"));
    let code = code_of(&Browser::new().sign_in(&f, &params).await);
    let (status, body) = token(
        &f,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Still S256 only.
    params.insert("code_challenge", challenge(VERIFIER));
    params.insert("code_challenge_method", "plain".to_owned());
    let answer = Browser::new().authorize(&f, &params).await;
    assert_eq!(query_of(&location(&answer))["error"], "invalid_request");
}

#[tokio::test]
async fn refresh_keeps_the_scopes_and_rotates_when_the_pool_does() {
    let f = fixture().await;
    let code = code_of(&Browser::new().sign_in(&f, &good_request()).await);
    let (_, first) = redeem(&f, &code).await;
    let refresh_token = first["refresh_token"].as_str().unwrap();
    f.clock.advance(60);
    let (status, body) = refresh(&f, refresh_token).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none(), "no rotation: {body}");
    let access = layer(&f, TokenUse::Access)
        .verify(body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(access.scope.as_str(), "openid email profile");
    assert_eq!(access.auth_time, Some(START));
    assert_eq!(
        access.origin_jti.as_deref(),
        payload(first["access_token"].as_str().unwrap())["origin_jti"].as_str()
    );
    let id = layer(&f, TokenUse::Id)
        .verify(body["id_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(id.username(), Some("alice"));

    let f = fixture_with(|b| b.client_secret(SECRET).refresh_token_rotation(true)).await;
    let code = code_of(&Browser::new().sign_in(&f, &good_request()).await);
    let (_, first) = redeem(&f, &code).await;
    let old = first["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(&f, old).await;
    assert_eq!(status, 200, "{body}");
    let new = body["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    let (status, body) = refresh(&f, old).await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_grant"));
    assert_eq!(refresh(&f, new).await.0, 200);
    // Refresh needs the client too.
    let (status, body) = token_with(
        &f,
        Some(basic(f.pool.client_id(), "wrong")),
        &[("grant_type", "refresh_token"), ("refresh_token", new)],
    )
    .await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_client"));
}

#[tokio::test]
async fn a_revoked_refresh_token_is_refused() {
    let f = fixture().await;
    let code = code_of(&Browser::new().sign_in(&f, &good_request()).await);
    let (_, tokens) = redeem(&f, &code).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    let auth = || Some(basic(f.pool.client_id(), SECRET));
    // Refusals first: the token stays valid.
    assert_eq!(
        revoke(
            &f,
            Some(basic(f.pool.client_id(), "wrong")),
            &[("token", refresh_token)]
        )
        .await,
        (401, r#"{"error":"invalid_client"}"#.to_owned())
    );
    let (status, body) = revoke(&f, auth(), &[("token", access_token)]).await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"error":"unsupported_token_type"}"#)
    );
    let (status, _) = revoke(&f, auth(), &[]).await;
    assert_eq!(status, 400);
    assert_eq!(refresh(&f, refresh_token).await.0, 200);
    // Revoked: 200 with an empty body, then refresh and userInfo refuse.
    assert_eq!(
        revoke(&f, auth(), &[("token", refresh_token)]).await,
        (200, String::new())
    );
    let (status, body) = refresh(&f, refresh_token).await;
    assert_eq!((status, oauth_error(&body)), (400, "invalid_grant"));
    assert_eq!(
        userinfo(&f, Some(&format!("Bearer {access_token}")))
            .await
            .status(),
        401
    );
    // Again, and an unknown token: 200 too.
    assert_eq!(revoke(&f, auth(), &[("token", refresh_token)]).await.0, 200);
    assert_eq!(revoke(&f, auth(), &[("token", "unknown")]).await.0, 200);
    // client_secret_post.
    let code = code_of(&Browser::new().sign_in(&f, &good_request()).await);
    let (_, tokens) = redeem(&f, &code).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let id = f.pool.client_id().to_owned();
    let form = [
        ("token", refresh_token),
        ("client_id", &id),
        ("client_secret", SECRET),
    ];
    assert_eq!(revoke(&f, None, &form).await.0, 200);
    assert_eq!(refresh(&f, refresh_token).await.0, 400);
}

#[tokio::test]
async fn userinfo_answers_the_attributes_of_the_scopes_as_strings() {
    let f = fixture().await;
    let tokens_for = |scope: &'static str| {
        let f = &f;
        async move {
            let mut params = good_request();
            params.insert("scope", scope.to_owned());
            let code = code_of(&Browser::new().sign_in(f, &params).await);
            let (_, tokens) = redeem(f, &code).await;
            format!("Bearer {}", tokens["access_token"].as_str().unwrap())
        }
    };
    let attributes = |bearer: String| {
        let f = &f;
        async move {
            let response = userinfo(f, Some(&bearer)).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let sub = f.pool.user_attributes("alice").unwrap()["sub"].clone();

    let email = attributes(tokens_for("openid email").await).await;
    assert_eq!(
        email,
        serde_json::json!({
            "sub": sub,
            "username": "alice",
            "email": "alice@example.com",
            "email_verified": "true",
        })
    );
    let phone = attributes(tokens_for("openid phone").await).await;
    assert_eq!(phone["phone_number_verified"], "false");
    assert!(phone.get("email").is_none());
    let profile = attributes(tokens_for("openid profile").await).await;
    assert_eq!(profile["name"], "Alice Liddell");
    assert_eq!(profile["custom:team"], "red");
    assert!(profile.get("email").is_none() && profile.get("phone_number").is_none());
    let everything = attributes(tokens_for("openid").await).await;
    for name in [
        "email",
        "email_verified",
        "phone_number",
        "name",
        "custom:team",
    ] {
        assert!(everything[name].is_string(), "{name}: {everything}");
    }

    // Refusals: no openid, an API token, no token, not Bearer, expired.
    let without_openid = tokens_for("aws.cognito.signin.user.admin").await;
    let api = f
        .pool
        .call(
            "InitiateAuth",
            &serde_json::json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": f.pool.client_id(),
                "AuthParameters": {
                    "USERNAME": "alice",
                    "PASSWORD": PASSWORD,
                    "SECRET_HASH": secret_hash("alice", f.pool.client_id()),
                },
            }),
        )
        .await
        .unwrap();
    let api = format!(
        "Bearer {}",
        api["AuthenticationResult"]["AccessToken"].as_str().unwrap()
    );
    for bearer in [without_openid, api, "Bearer not-a-token".to_owned()] {
        let response = userinfo(&f, Some(&bearer)).await;
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()[reqwest::header::WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\""
        );
    }
    for header in [None, Some("Basic abc")] {
        let response = userinfo(&f, header).await;
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.headers()[reqwest::header::WWW_AUTHENTICATE],
            "Bearer error=\"invalid_request\""
        );
    }
    let bearer = tokens_for("openid").await;
    f.clock.advance(3600);
    assert_eq!(userinfo(&f, Some(&bearer)).await.status(), 401);
}

fn secret_hash(username: &str, client_id: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, format!("{username}{client_id}").as_bytes());
    STANDARD.encode(tag.as_ref())
}

#[tokio::test]
async fn a_signed_in_browser_skips_the_form_until_logout() {
    let f = fixture().await;
    let mut browser = Browser::new();
    code_of(&browser.sign_in(&f, &good_request()).await);
    f.clock.advance(120);
    // The same browser: a code at once, with the first sign-in's auth_time.
    let answer = browser.authorize(&f, &good_request()).await;
    assert_eq!(answer.status(), 302);
    let (_, tokens) = redeem(&f, &code_of(&location(&answer))).await;
    let id = payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["auth_time"], START);
    assert_eq!(id["nonce"], NONCE);
    // max_age: within it, a code; beyond it, the form again.
    let mut params = good_request();
    params.insert("max_age", "300".to_owned());
    assert_eq!(browser.authorize(&f, &params).await.status(), 302);
    params.insert("max_age", "60".to_owned());
    assert_eq!(browser.authorize(&f, &params).await.status(), 200);
    // Another browser has no session.
    assert_eq!(
        Browser::new().authorize(&f, &good_request()).await.status(),
        200
    );

    // Logout to a sign-out URL clears the session.
    let logout = format!(
        "{}/logout?{}",
        f.server.domain(),
        encode(&[
            ("client_id", f.pool.client_id()),
            ("logout_uri", SIGNED_OUT)
        ])
    );
    let answer = browser.get(&f, &logout).await;
    assert_eq!(answer.status(), 302);
    assert_eq!(location(&answer).as_str(), SIGNED_OUT);
    assert!(!browser.cookies.contains_key("cognito"));
    assert_eq!(browser.authorize(&f, &good_request()).await.status(), 200);
}

#[tokio::test]
async fn logout_redirects_only_where_the_client_allows() {
    let f = fixture().await;
    let mut browser = Browser::new();
    code_of(&browser.sign_in(&f, &good_request()).await);
    let logout = |pairs: &[(&str, &str)]| format!("{}/logout?{}", f.server.domain(), encode(pairs));
    let id = f.pool.client_id().to_owned();
    let refused: [Vec<(&str, &str)>; 6] = [
        vec![("client_id", &id), ("logout_uri", "https://evil.example/")],
        vec![
            ("client_id", &id),
            ("logout_uri", "http://localhost:9/signed-out/"),
        ],
        vec![("client_id", "someoneelse"), ("logout_uri", SIGNED_OUT)],
        vec![("logout_uri", SIGNED_OUT)],
        vec![("client_id", &id)],
        vec![
            ("client_id", &id),
            ("redirect_uri", "https://evil.example/"),
            ("response_type", "code"),
        ],
    ];
    for pairs in refused {
        let answer = browser.get(&f, &logout(&pairs)).await;
        assert_eq!(answer.status(), 400, "{pairs:?}");
        assert!(answer.headers().get(reqwest::header::LOCATION).is_none());
    }
    assert!(
        browser.cookies.contains_key("cognito"),
        "a refused logout ends nothing"
    );
    // redirect_uri + response_type: back to the sign-in page, signed out.
    let answer = browser
        .get(
            &f,
            &logout(&[
                ("client_id", &id),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("state", STATE),
                ("code_challenge", &challenge(VERIFIER)),
                ("code_challenge_method", "S256"),
            ]),
        )
        .await;
    assert_eq!(answer.status(), 302);
    let target = answer.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(target.starts_with("/login?"), "{target}");
    assert!(!browser.cookies.contains_key("cognito"));
    let page = browser
        .get(&f, &format!("{}{target}", f.server.domain()))
        .await;
    assert_eq!(page.status(), 200);
    let transaction = hidden_transaction(&page.text().await.unwrap());
    let answer = browser.send_password(&f, &transaction).await;
    assert_eq!(redeem(&f, &code_of(&location(&answer))).await.0, 200);
}

#[tokio::test]
async fn the_discovery_document_points_at_this_server() {
    let f = fixture().await;
    let url = f.server.discovery_url(&f.pool);
    assert!(url.ends_with(&format!(
        "/{}/.well-known/openid-configuration",
        f.pool.user_pool_id()
    )));
    let document: Value = f.http.get(&url).send().await.unwrap().json().await.unwrap();
    let domain = f.server.domain();
    assert_eq!(document["issuer"], f.pool.issuer().issuer());
    assert_eq!(
        document["authorization_endpoint"],
        format!("{domain}/oauth2/authorize")
    );
    assert_eq!(document["token_endpoint"], format!("{domain}/oauth2/token"));
    assert_eq!(
        document["userinfo_endpoint"],
        format!("{domain}/oauth2/userInfo")
    );
    assert_eq!(
        document["revocation_endpoint"],
        format!("{domain}/oauth2/revoke")
    );
    assert_eq!(document["end_session_endpoint"], format!("{domain}/logout"));
    assert_eq!(document["jwks_uri"], f.server.jwks_url());
    assert_eq!(
        document["response_types_supported"],
        serde_json::json!(["code"])
    );
    // The JWKS it names serves the keys of the tokens.
    let jwks: Value = f
        .http
        .get(document["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, f.pool.issuer().jwks());
}

#[test]
fn build_refuses_callback_urls_cognito_refuses() {
    for url in [
        "http://app.example/cb",
        "https://app.example/cb#frag",
        "/relative",
        "javascript:alert(1)",
    ] {
        let built = LocalUserPool::builder().callback_urls([url]).build();
        assert!(built.is_err(), "{url}");
        let built = LocalUserPool::builder().logout_urls([url]).build();
        assert!(built.is_err(), "{url}");
    }
    for url in [
        "https://app.example/cb",
        "http://localhost:3000/cb",
        "http://127.0.0.1:3000/cb",
        "http://[::1]:3000/cb",
    ] {
        assert!(
            LocalUserPool::builder()
                .callback_urls([url])
                .build()
                .is_ok(),
            "{url}"
        );
    }
}

#[tokio::test]
async fn a_user_with_totp_gets_a_code_page_for_the_authenticator() {
    let f = fixture().await;
    // TOTP set up through the API, as an app would.
    let call = |operation: &'static str, body: Value| {
        let pool = f.pool.clone();
        async move { pool.call(operation, &body).await.unwrap() }
    };
    let signed_in = call(
        "InitiateAuth",
        serde_json::json!({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": f.pool.client_id(),
            "AuthParameters": {
                "USERNAME": "alice",
                "PASSWORD": PASSWORD,
                "SECRET_HASH": secret_hash("alice", f.pool.client_id()),
            },
        }),
    )
    .await;
    let access_token = signed_in["AuthenticationResult"]["AccessToken"].clone();
    let association = call(
        "AssociateSoftwareToken",
        serde_json::json!({ "AccessToken": access_token }),
    )
    .await;
    let secret = association["SecretCode"].as_str().unwrap().to_owned();
    let code = totp_code(&secret, START).unwrap();
    call(
        "VerifySoftwareToken",
        serde_json::json!({ "AccessToken": access_token, "UserCode": code }),
    )
    .await;
    call(
        "SetUserMFAPreference",
        serde_json::json!({
            "AccessToken": access_token,
            "SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": true},
        }),
    )
    .await;

    let mut browser = Browser::new();
    let page = browser.authorize(&f, &good_request()).await;
    let transaction = hidden_transaction(&page.text().await.unwrap());
    let answer = browser.send_password(&f, &transaction).await;
    let html = answer.text().await.unwrap();
    assert!(html.contains("SOFTWARE_TOKEN_MFA"), "{html}");
    assert!(html.contains("name=\"code\""));
    // The code of the next step (the one verified above is spent).
    f.clock.advance(30);
    let code = totp_code(&secret, START + 30).unwrap();
    let answer = browser
        .post(
            &f,
            "/login",
            &[("transaction", &transaction), ("code", &code)],
        )
        .await;
    assert_eq!(answer.status(), 302);
    let (status, _) = redeem(&f, &code_of(&location(&answer))).await;
    assert_eq!(status, 200);
}
