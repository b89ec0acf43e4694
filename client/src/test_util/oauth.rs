//! The pool's managed-login side, on the same server: `POST /oauth2/token` with the
//! `client_credentials` grant (the app client authenticated with `client_secret_basic` or
//! `client_secret_post`, scopes limited to the client's resource-server scopes).
//!
//! Errors are Cognito's: `400 {"error": "..."}` with `invalid_request`, `invalid_client`,
//! `invalid_scope`, `unauthorized_client` or `unsupported_grant_type`.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use serde_json::{Map, Value, json};

use super::ops::{ct_eq, uuid};
use super::{MAX_REQUEST_SIZE, Shared};
use tower_cognito::test_util::TOKEN_LIFETIME;

type Response = http::Response<Full<Bytes>>;

/// One request to `/oauth2/...`.
pub(crate) async fn answer(shared: &Shared, req: http::Request<Incoming>) -> Response {
    if req.uri().path() != "/oauth2/token" {
        return oauth_error(404, "invalid_request");
    }
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

fn oauth_error(status: u16, error: &str) -> Response {
    json(status, &json!({ "error": error }))
}

fn json(status: u16, body: &Value) -> Response {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json;charset=UTF-8")
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_else(|_| http::Response::new(Full::new(Bytes::new())))
}
