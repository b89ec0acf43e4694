//! The managed-login domain's token and revocation endpoints, as the machine-to-machine token
//! source and the web sign-in both call them: `client_secret_basic`, one form `POST` with a
//! capped answer and a time limit, and the checks of a token answer and of an OAuth error.

use std::time::Duration;

use base64::Engine as _;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;
use serde_json::{Map, Value};

use super::secret::Secret;
use super::transport::read_capped;

/// Largest answer read, in bytes (Cognito's are about 1-2 KiB).
pub(crate) const MAX_ANSWER_SIZE: usize = 64 * 1024;
/// Longest access-token lifetime Cognito issues: one day.
pub(crate) const MAX_EXPIRES_IN: u64 = 86_400;
/// Longest `error_description` kept.
const MAX_DESCRIPTION: usize = 256;

/// `Authorization: Basic base64(client_id ":" client_secret)`: the id and secret as they are,
/// not form-urlencoded first (Cognito's documented form; RFC 6749 would encode them, which
/// breaks a secret holding `+`).
pub(crate) fn basic_authorization(client_id: &str, secret: &Secret) -> Secret {
    let pair = format!("{client_id}:{}", secret.expose());
    Secret::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

/// `pairs` as an `application/x-www-form-urlencoded` body.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Why a form `POST` got no complete answer.
#[derive(Debug)]
pub(crate) enum PostError {
    /// Not sent, or the answer not read (its URL dropped: a redirect may have led elsewhere).
    Transport(reqwest::Error),
    /// No complete answer within the time limit.
    Timeout,
    /// An answer over [`MAX_ANSWER_SIZE`], with its status.
    TooLarge(u16),
}

/// `POST`s `body` (a form) to `url`, with `authorization` (`Basic ...`, sent marked sensitive)
/// when given, and reads the status and at most [`MAX_ANSWER_SIZE`] bytes of answer within
/// `timeout`.
pub(crate) async fn post_form(
    http: &reqwest::Client,
    url: &Url,
    authorization: Option<&Secret>,
    body: String,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), PostError> {
    let mut request = http
        .post(url.clone())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    // A secret that does not fit in a header is refused by the builders; none is sent then.
    if let Some(authorization) = authorization
        && let Ok(mut value) = http::HeaderValue::from_str(authorization.expose())
    {
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    let exchange = async {
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                PostError::Timeout
            } else {
                PostError::Transport(e.without_url())
            }
        };
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let body = read_capped(&mut response, MAX_ANSWER_SIZE)
            .await
            .map_err(transport)?
            .ok_or(PostError::TooLarge(status))?;
        Ok((status, body))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(PostError::Timeout))
}

/// The access token and its lifetime of a token answer's JSON object, checked: `token_type`
/// `Bearer` (any case), an `access_token` of visible ASCII (it goes into an `Authorization`
/// header as is), an integer `expires_in` from 1 to 86 400. The error says which member failed.
pub(crate) fn access_token(answer: &Map<String, Value>) -> Result<(&str, u64), &'static str> {
    match answer.get("token_type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        _ => return Err("the token answer's token_type is not Bearer"),
    }
    let token = match answer.get("access_token") {
        Some(Value::String(t)) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()) => t,
        _ => return Err("the token answer's access_token is not a non-empty visible-ASCII string"),
    };
    let expires_in = answer
        .get("expires_in")
        .and_then(Value::as_u64)
        .filter(|s| (1..=MAX_EXPIRES_IN).contains(s))
        .ok_or("the token answer's expires_in is not an integer from 1 to 86400")?;
    Ok((token, expires_in))
}

/// The OAuth `error` code of an error answer (lower-case letters and `_`, at most 64) and its
/// `error_description` when printable ASCII of at most 256 characters; `None` when the answer
/// is not an OAuth error object.
pub(crate) fn oauth_error(body: &[u8]) -> Option<(String, Option<String>)> {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let Some(Value::String(code)) = map.remove("error") else {
        return None;
    };
    if code.is_empty()
        || code.len() > 64
        || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        return None;
    }
    let description = match map.remove("error_description") {
        Some(Value::String(d))
            if d.len() <= MAX_DESCRIPTION && d.bytes().all(|b| matches!(b, 0x20..=0x7e)) =>
        {
            Some(d)
        }
        _ => None,
    };
    Some((code, description))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_not_form_encoded() {
        let header = basic_authorization("client+id", &Secret::new("se+cr/et="));
        let encoded = header.expose().strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(decoded, b"client+id:se+cr/et=");
    }

    #[test]
    fn an_oauth_error_keeps_its_code_and_a_printable_description() {
        let body = br#"{"error":"invalid_grant","error_description":"Bad code"}"#;
        assert_eq!(
            oauth_error(body),
            Some(("invalid_grant".to_owned(), Some("Bad code".to_owned())))
        );
        let body = br#"{"error":"invalid_grant","error_description":"line\nbreak"}"#;
        assert_eq!(oauth_error(body), Some(("invalid_grant".to_owned(), None)));
        assert_eq!(oauth_error(br#"{"error":"Not A Code"}"#), None);
        assert_eq!(oauth_error(b"<html>503</html>"), None);
    }
}
