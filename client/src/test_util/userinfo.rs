//! `GET /oauth2/userInfo`: the user's attributes allowed by the access token's scopes.
//!
//! Only an access token the token endpoint issued with `openid` works (an API sign-in's has
//! `aws.cognito.signin.user.admin` only); it must be unexpired, not signed out, not revoked,
//! and its user must still exist. Otherwise `401` with `WWW-Authenticate: Bearer
//! error="invalid_token"`; no bearer token at all is `400` with `error="invalid_request"`.
//!
//! What the scopes give (Cognito's developer guide, "The user attributes endpoint"): `sub` and
//! `username` always; with `openid` alone every attribute; with `email`, `email` and
//! `email_verified`; with `phone`, `phone_number` and `phone_number_verified`; with `profile`,
//! the other standard profile attributes and the `custom:*` ones. Values are strings, as
//! Cognito stores them: `email_verified` is `"true"` or `"false"`, not a JSON boolean.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::Shared;
use super::reply::{self, Response};

/// The attributes of the `profile` scope (and every `custom:*`).
const PROFILE: [&str; 14] = [
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];

fn challenge(status: u16, error: &str) -> Response {
    let mut response = reply::json(status, &json!({ "error": error }));
    if let Ok(value) = http::HeaderValue::from_str(&format!("Bearer error=\"{error}\"")) {
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The `scope` claim of a token the pool signed.
fn scopes(token: &str) -> Vec<String> {
    token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|payload| serde_json::from_slice::<Map<String, Value>>(&payload).ok())
        .and_then(|claims| {
            claims
                .get("scope")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .map(|scope| scope.split(' ').map(str::to_owned).collect())
        .unwrap_or_default()
}

pub(crate) fn answer<B>(shared: &Shared, req: &http::Request<B>) -> Response {
    if req.method() != http::Method::GET {
        return challenge(405, "invalid_request");
    }
    let Some(token) = bearer(req.headers()) else {
        return challenge(400, "invalid_request");
    };
    let pool = shared.state();
    let Some(record) = pool.access.get(token) else {
        return challenge(401, "invalid_token");
    };
    let Some(user) = pool
        .users
        .get(&record.username)
        .filter(|u| u.sub == record.sub)
    else {
        return challenge(401, "invalid_token");
    };
    if record.expires_at <= shared.issuer.now()
        || record.generation < user.generation
        || pool.revoked.contains(&record.origin_jti)
    {
        return challenge(401, "invalid_token");
    }
    let scopes = scopes(token);
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    if !has("openid") {
        return challenge(401, "invalid_token");
    }
    let everything = !has("email") && !has("phone") && !has("profile");
    let allowed = |name: &str| {
        everything
            || (has("email") && matches!(name, "email" | "email_verified"))
            || (has("phone") && matches!(name, "phone_number" | "phone_number_verified"))
            || (has("profile") && (PROFILE.contains(&name) || name.starts_with("custom:")))
    };
    let mut body = Map::new();
    for (name, value) in &user.attributes {
        if name != "sub" && allowed(name) {
            body.insert(name.clone(), json!(value));
        }
    }
    body.insert("sub".to_owned(), json!(user.sub));
    body.insert("username".to_owned(), json!(user.username));
    reply::json(200, &Value::Object(body))
}
