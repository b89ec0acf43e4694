//! Requests and replies of the managed-login side: parameters, forms, cookies, redirects, and
//! the OAuth JSON answers.

use std::collections::{BTreeMap, BTreeSet};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use serde_json::{Value, json};

use super::MAX_REQUEST_SIZE;

pub(crate) type Response = http::Response<Full<Bytes>>;

/// A `500` without a body: what an answer that cannot be built becomes.
fn failed() -> Response {
    let mut response = http::Response::new(Full::new(Bytes::new()));
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// `{"error": error}` with `status`.
pub(crate) fn oauth_error(status: u16, error: &str) -> Response {
    json(status, &json!({ "error": error }))
}

/// A JSON answer, never cached.
pub(crate) fn json(status: u16, body: &Value) -> Response {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json;charset=UTF-8")
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_else(|_| failed())
}

/// The query's parameters, and the names given more than once.
pub(crate) fn query(uri: &http::Uri) -> (BTreeMap<String, String>, BTreeSet<String>) {
    parameters(uri.query().unwrap_or_default().as_bytes())
}

/// Form-encoded parameters, and the names given more than once (RFC 6749, section 3.1:
/// parameters must not be repeated).
pub(crate) fn parameters(raw: &[u8]) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let mut params = BTreeMap::new();
    let mut duplicates = BTreeSet::new();
    for (name, value) in url::form_urlencoded::parse(raw) {
        match params.entry(name.into_owned()) {
            std::collections::btree_map::Entry::Occupied(entry) => {
                duplicates.insert(entry.key().clone());
            }
            std::collections::btree_map::Entry::Vacant(entry) => {
                entry.insert(value.into_owned());
            }
        }
    }
    (params, duplicates)
}

/// The body of a `application/x-www-form-urlencoded` request, at most [`MAX_REQUEST_SIZE`]
/// bytes; `None` for another content type or a body too large.
pub(crate) async fn form_body(req: http::Request<Incoming>) -> Option<Bytes> {
    let form = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = Limited::new(req.into_body(), MAX_REQUEST_SIZE)
        .collect()
        .await
        .ok()?
        .to_bytes();
    form.then_some(body)
}

/// The value of cookie `name` (the first one), from every `Cookie` header.
pub(crate) fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// A `302 Found` to `location`, with cookies to set.
pub(crate) fn redirect(location: &str, cookies: &[String]) -> Response {
    let mut builder = http::Response::builder()
        .status(302)
        .header(http::header::LOCATION, location)
        .header(http::header::CACHE_CONTROL, "no-store")
        .header("referrer-policy", "no-referrer");
    for cookie in cookies {
        builder = builder.header(http::header::SET_COOKIE, cookie);
    }
    builder
        .body(Full::new(Bytes::new()))
        .unwrap_or_else(|_| failed())
}

/// `redirect_uri` (a registered callback URL) with `pairs` added to its query.
pub(crate) fn redirect_to(
    redirect_uri: &str,
    pairs: &[(&str, Option<&str>)],
    cookies: &[String],
) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return failed();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    redirect(url.as_str(), cookies)
}
