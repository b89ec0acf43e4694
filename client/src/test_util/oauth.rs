//! The pool's OAuth endpoints, on the same server: `POST /oauth2/token` (grants
//! `authorization_code` with PKCE, `refresh_token`, and `client_credentials` with the client's
//! resource-server scopes), `POST /oauth2/revoke`, and `GET /oauth2/userInfo` (in `userinfo`).
//!
//! Client authentication, as Cognito: `client_secret_basic` (`Authorization: Basic
//! base64(id:secret)`, the id and secret taken as they are, not form-decoded) or
//! `client_secret_post` (both in the body); a public client sends `client_id` only, and a
//! secret sent for it is refused.
//!
//! Errors are Cognito's: `400 {"error": "..."}` with `invalid_request`, `invalid_client`,
//! `invalid_grant`, `invalid_scope`, `unauthorized_client` or `unsupported_grant_type`
//! (`/oauth2/revoke`: `401 invalid_client`, `400 unsupported_token_type`).
//!
//! Authorization codes are single use: the first token request that names one (from its
//! client) uses it up, whether it then succeeds or not (a wrong `redirect_uri` or
//! `code_verifier` burns it). A code used again within its five minutes is refused with
//! `invalid_grant` **and** revokes the tokens it gave (their `origin_jti`: refresh refused,
//! userInfo and the API refuse the access tokens), as RFC 6749, section 4.1.2 recommends; a
//! local verifier still accepts those access tokens until they expire, as with any revocation.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use serde_json::{Map, Value, json};

use super::ops::{self, ct_eq, uuid};
use super::reply::{self, json, oauth_error};
use super::{MAX_REQUEST_SIZE, Shared, login, userinfo};
use tower_cognito::test_util::TOKEN_LIFETIME;

type Response = http::Response<Full<Bytes>>;

/// One request to `/oauth2/...` (but `/oauth2/authorize`).
pub(crate) async fn answer(shared: &Shared, req: http::Request<Incoming>) -> Response {
    match req.uri().path() {
        "/oauth2/token" => token(shared, req).await,
        "/oauth2/revoke" => revoke(shared, req).await,
        "/oauth2/userInfo" => userinfo::answer(shared, &req),
        _ => oauth_error(404, "invalid_request"),
    }
}

/// `POST /oauth2/token`.
async fn token(shared: &Shared, req: http::Request<Incoming>) -> Response {
    shared.oauth_token_requests.fetch_add(1, Ordering::Relaxed);
    if req.method() != http::Method::POST {
        return oauth_error(405, "invalid_request");
    }
    let form_body = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let basic = match basic_credentials(req.headers()) {
        Ok(basic) => basic,
        Err(()) => return oauth_error(400, "invalid_client"),
    };
    let Ok(body) = Limited::new(req.into_body(), MAX_REQUEST_SIZE)
        .collect()
        .await
        .map(|b| b.to_bytes())
    else {
        return oauth_error(413, "invalid_request");
    };
    if !form_body {
        return oauth_error(400, "invalid_request");
    }
    let mut form = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(&body) {
        // A parameter given twice is refused (RFC 6749, section 3.2).
        if form.insert(name.into_owned(), value.into_owned()).is_some() {
            return oauth_error(400, "invalid_request");
        }
    }
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => client_credentials(shared, basic, &form),
        Some("authorization_code") => authorization_code(shared, basic, &form),
        Some("refresh_token") => refresh_token(shared, basic, &form),
        Some(_) => oauth_error(400, "unsupported_grant_type"),
        None => oauth_error(400, "invalid_request"),
    }
}

/// `Authorization: Basic` as (client id, secret), taken as they are (not form-decoded); `Ok(None)`
/// without the header, `Err` when it is malformed.
fn basic_credentials(headers: &http::HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let encoded = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or(())?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = text.split_once(':').ok_or(())?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}

fn client_credentials(
    shared: &Shared,
    basic: Option<(String, String)>,
    form: &BTreeMap<String, String>,
) -> Response {
    let settings = &shared.settings;
    let (client_id, secret) = match (basic, form.get("client_id"), form.get("client_secret")) {
        (Some((id, secret)), body_id, None) if body_id.is_none_or(|b| *b == id) => {
            (id, Some(secret))
        }
        (None, Some(id), secret) => (id.clone(), secret.cloned()),
        _ => return oauth_error(400, "invalid_client"),
    };
    if client_id != settings.client_id {
        return oauth_error(400, "invalid_client");
    }
    let Some(expected) = &settings.client_secret else {
        // A public client cannot use client credentials.
        return oauth_error(400, "unauthorized_client");
    };
    if !secret.is_some_and(|given| ct_eq(expected, &given)) {
        return oauth_error(400, "invalid_client");
    }
    if settings.custom_scopes.is_empty() {
        return oauth_error(400, "unauthorized_client");
    }
    let scopes: Vec<&str> = match form.get("scope") {
        None => settings.custom_scopes.iter().map(String::as_str).collect(),
        Some(asked) => {
            let asked: Vec<&str> = asked.split(' ').filter(|s| !s.is_empty()).collect();
            if asked.is_empty()
                || asked
                    .iter()
                    .any(|s| !settings.custom_scopes.iter().any(|c| c == s))
            {
                return oauth_error(400, "invalid_scope");
            }
            asked
        }
    };
    let now = shared.issuer.now();
    let Ok(jti) = uuid() else {
        return oauth_error(500, "server_error");
    };
    let mut claims = Map::new();
    for (name, value) in [
        ("sub", json!(settings.client_id)),
        ("token_use", json!("access")),
        ("scope", json!(scopes.join(" "))),
        ("auth_time", json!(now)),
        ("iss", json!(shared.issuer.issuer())),
        ("exp", json!(now.saturating_add(TOKEN_LIFETIME))),
        ("iat", json!(now)),
        ("version", json!(2)),
        ("jti", json!(jti)),
        ("client_id", json!(settings.client_id)),
    ] {
        claims.insert(name.to_owned(), value);
    }
    let body = json!({
        "access_token": shared.issuer.sign(&claims),
        "expires_in": TOKEN_LIFETIME,
        "token_type": "Bearer",
    });
    json(200, &body)
}

/// Authenticates the app client of a token or revocation request (`status` is that of
/// `invalid_client`).
fn authenticate(
    shared: &Shared,
    basic: Option<(String, String)>,
    form: &BTreeMap<String, String>,
    status: u16,
) -> Result<(), Box<Response>> {
    let settings = &shared.settings;
    let given = match (basic, form.get("client_id"), form.get("client_secret")) {
        (Some((id, secret)), body_id, None)
            if body_id.is_none_or(|b| *b == id) && id == settings.client_id =>
        {
            Some(secret)
        }
        (None, Some(id), secret) if *id == settings.client_id => secret.cloned(),
        _ => return Err(Box::new(oauth_error(status, "invalid_client"))),
    };
    match (&settings.client_secret, given) {
        (Some(expected), Some(given)) if ct_eq(expected, &given) => Ok(()),
        (None, None) => Ok(()),
        _ => Err(Box::new(oauth_error(status, "invalid_client"))),
    }
}

/// `grant_type=authorization_code`: the code, bound to the client, `redirect_uri` (identical),
/// the PKCE challenge (S256), gives an access token with the granted scopes, an ID token (with
/// `openid`; with the authorization request's `nonce` and `at_hash`) and a refresh token of the
/// sign-in's lineage.
fn authorization_code(
    shared: &Shared,
    basic: Option<(String, String)>,
    form: &BTreeMap<String, String>,
) -> Response {
    if let Err(refused) = authenticate(shared, basic, form, 400) {
        return *refused;
    }
    let (Some(code), Some(redirect_uri)) = (form.get("code"), form.get("redirect_uri")) else {
        return oauth_error(400, "invalid_request");
    };
    let verifier = form.get("code_verifier");
    if verifier.is_some_and(|v| !login::valid_verifier(v)) {
        return oauth_error(400, "invalid_request");
    }
    let now = shared.issuer.now();
    let mut pool = shared.state();
    pool.prune(now);
    let mut logins = shared.login();
    logins.prune(now);
    let Some(record) = logins.codes.get_mut(code.as_str()) else {
        return oauth_error(400, "invalid_grant");
    };
    if record.grant.client_id != shared.settings.client_id {
        return oauth_error(400, "invalid_grant");
    }
    if record.used {
        // A replayed code: the tokens it gave are revoked (RFC 6749, section 4.1.2).
        let origin = record.lineage.origin_jti.clone();
        pool.revoked.insert(origin);
        return oauth_error(400, "invalid_grant");
    }
    record.used = true;
    let pkce = match (&record.grant.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) => login::pkce_matches(challenge, verifier),
        (None, None) => true,
        // A challenge without its verifier, or a verifier for a code issued without PKCE
        // (RFC 9700, section 2.1.1: a PKCE downgrade).
        _ => false,
    };
    if record.expires_at <= now || record.grant.redirect_uri != *redirect_uri || !pkce {
        return oauth_error(400, "invalid_grant");
    }
    let (username, sub) = (record.username.clone(), record.sub.clone());
    let (lineage, grant) = (record.lineage.clone(), record.grant.clone());
    if pool.users.get(&username).is_none_or(|u| u.sub != sub) {
        return oauth_error(400, "invalid_grant");
    }
    let Ok(answer) = ops::issue_tokens(shared, &mut pool, &username, &lineage, true) else {
        return oauth_error(500, "server_error");
    };
    drop(pool);
    let result = answer.get("AuthenticationResult").unwrap_or(&Value::Null);
    let access_token = result.get("AccessToken").and_then(Value::as_str);
    let id_token = if grant.has_scope("openid") {
        let mut extra = Map::new();
        if let Some(nonce) = &grant.nonce {
            extra.insert("nonce".to_owned(), json!(nonce));
        }
        if let Some(access_token) = access_token {
            extra.insert("at_hash".to_owned(), json!(login::at_hash(access_token)));
        }
        result
            .get("IdToken")
            .and_then(Value::as_str)
            .and_then(|token| with_claims(shared, token, extra))
    } else {
        None
    };
    token_answer(result, id_token)
}

/// `grant_type=refresh_token`: the API's refresh (the same records, lineage and rotation rules
/// as `GetTokensFromRefreshToken`), answered the OAuth way; every refusal is `invalid_grant`.
fn refresh_token(
    shared: &Shared,
    basic: Option<(String, String)>,
    form: &BTreeMap<String, String>,
) -> Response {
    if let Err(refused) = authenticate(shared, basic, form, 400) {
        return *refused;
    }
    let Some(token) = form.get("refresh_token") else {
        return oauth_error(400, "invalid_request");
    };
    // A lineage started at `/oauth2/authorize` without `openid` gets no ID token.
    let id_token = shared.state().refresh.get(token).is_none_or(|record| {
        record
            .lineage
            .oauth_scope
            .as_deref()
            .is_none_or(|scope| scope.split(' ').any(|s| s == "openid"))
    });
    match ops::refresh(shared, token, |_| Ok(())) {
        Ok(answer) => {
            let result = answer.get("AuthenticationResult").unwrap_or(&Value::Null);
            let id_token = result
                .get("IdToken")
                .and_then(Value::as_str)
                .filter(|_| id_token)
                .map(str::to_owned);
            token_answer(result, id_token)
        }
        Err(_) => oauth_error(400, "invalid_grant"),
    }
}

/// The token endpoint's answer from the API's `AuthenticationResult`.
fn token_answer(result: &Value, id_token: Option<String>) -> Response {
    let Some(access_token) = result.get("AccessToken").and_then(Value::as_str) else {
        return oauth_error(500, "server_error");
    };
    let mut body = json!({
        "access_token": access_token,
        "expires_in": TOKEN_LIFETIME,
        "token_type": "Bearer",
    });
    if let Some(map) = body.as_object_mut() {
        if let Some(id_token) = id_token {
            map.insert("id_token".to_owned(), json!(id_token));
        }
        if let Some(refresh) = result.get("RefreshToken") {
            map.insert("refresh_token".to_owned(), refresh.clone());
        }
    }
    json(200, &body)
}

/// `token` signed again with `extra` claims added (the ID token of the code flow: the API's,
/// with `nonce` and `at_hash`).
fn with_claims(shared: &Shared, token: &str, extra: Map<String, Value>) -> Option<String> {
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    let mut claims: Map<String, Value> = serde_json::from_slice(&payload).ok()?;
    claims.extend(extra);
    Some(shared.issuer.sign(&claims))
}

/// `POST /oauth2/revoke`: revokes a refresh token's lineage (its access tokens too, for the
/// API and userInfo). `200` also for an unknown or already revoked token (RFC 7009);
/// `unsupported_token_type` for an access or ID token.
async fn revoke(shared: &Shared, req: http::Request<Incoming>) -> Response {
    if req.method() != http::Method::POST {
        return oauth_error(405, "invalid_request");
    }
    let basic = match basic_credentials(req.headers()) {
        Ok(basic) => basic,
        Err(()) => return oauth_error(401, "invalid_client"),
    };
    let Some(body) = reply::form_body(req).await else {
        return oauth_error(400, "invalid_request");
    };
    let (form, duplicates) = reply::parameters(&body);
    if !duplicates.is_empty() {
        return oauth_error(400, "invalid_request");
    }
    if let Err(refused) = authenticate(shared, basic, &form, 401) {
        return *refused;
    }
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return oauth_error(400, "invalid_request");
    };
    // A JWT (three parts) is an access or ID token; the pool's refresh tokens are opaque.
    if token.split('.').count() == 3 {
        return oauth_error(400, "unsupported_token_type");
    }
    let mut pool = shared.state();
    let origin = pool
        .refresh
        .get(token.as_str())
        .filter(|record| record.client_id == shared.settings.client_id)
        .map(|record| record.lineage.origin_jti.clone());
    if let Some(origin) = origin {
        pool.revoked.insert(origin);
    }
    http::Response::builder()
        .status(200)
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::new()))
        .unwrap_or_else(|_| http::Response::new(Full::new(Bytes::new())))
}
