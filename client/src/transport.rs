//! One call of the user-pool API: `POST` a JSON body with the operation in `X-Amz-Target`, read
//! at most [`MAX_RESPONSE_SIZE`] bytes of answer, map an error status to a [`ClientError`].

use std::fmt;
use std::time::Duration;

use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;

use tower_cognito::UserPoolId;

use super::decode::decode;
use super::error::{ClientError, ClientErrorKind, ProtocolError, parse_error};
use super::secret::Secret;

/// Largest answer read, in bytes; Cognito's are a few KiB.
pub(crate) const MAX_RESPONSE_SIZE: usize = 1024 * 1024;

const CONTENT_TYPE_AMZ_JSON: &str = "application/x-amz-json-1.1";
const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

/// What every clone of a [`UserPoolClient`](super::UserPoolClient) shares.
pub(crate) struct Inner {
    /// Its name (after the last `_`) is the SRP pool name.
    pub(crate) user_pool_id: UserPoolId,
    pub(crate) region: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<Secret>,
    pub(crate) endpoint: Url,
    pub(crate) timeout: Duration,
    pub(crate) http: reqwest::Client,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserPoolClient")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("endpoint", &self.endpoint.as_str())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// Calls `operation` with `body` and parses the answer as `T` (an empty body reads as `{}`;
    /// an answer that is not a `T` is an error that never quotes it, see [`decode`]).
    pub(crate) async fn call<B, T>(
        &self,
        operation: &'static str,
        body: &B,
    ) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        crate::log::debug!(operation, "cognito user-pool call");
        let result = match tokio::time::timeout(self.timeout, self.exchange(operation, body)).await
        {
            Ok(result) => result,
            Err(_) => Err(ClientError::new(operation, ClientErrorKind::Timeout)),
        };
        match result {
            Ok(bytes) => decode(operation, &bytes),
            Err(error) => {
                crate::log::debug!(
                    operation,
                    error_type = error.type_name().unwrap_or("none"),
                    status = error.status().map(|s| s.as_u16()),
                    "cognito user-pool call failed"
                );
                Err(error)
            }
        }
    }

    /// Sends the request and reads the answer: the body of a success, or the error.
    async fn exchange<B>(&self, operation: &'static str, body: &B) -> Result<Vec<u8>, ClientError>
    where
        B: Serialize + ?Sized,
    {
        let payload = serde_json::to_vec(body).map_err(|_| {
            ClientError::new(
                operation,
                ClientErrorKind::InvalidInput("the request is not JSON"),
            )
        })?;
        let transport = |e: reqwest::Error| {
            // The endpoint has no credentials, query or fragment (`build` refuses them); any
            // other URL (where the application's own client followed a redirect) may carry
            // anything, and is dropped from the error.
            let e = if e.url().is_some_and(|url| *url != self.endpoint) {
                e.without_url()
            } else {
                e
            };
            let kind = if e.is_timeout() {
                ClientErrorKind::Timeout
            } else {
                ClientErrorKind::Transport
            };
            ClientError::new(operation, kind).with_source(e)
        };
        let mut response = self
            .http
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, CONTENT_TYPE_AMZ_JSON)
            .header("x-amz-target", format!("{TARGET_PREFIX}{operation}"))
            .timeout(self.timeout)
            .body(payload)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let too_large = || {
            ClientError::protocol(
                operation,
                ProtocolError::TooLarge {
                    max: MAX_RESPONSE_SIZE,
                },
            )
            .with_status(status)
        };
        let Some(bytes) = read_capped(&mut response, MAX_RESPONSE_SIZE)
            .await
            .map_err(transport)?
        else {
            return Err(too_large());
        };
        if status.is_success() {
            return Ok(bytes);
        }
        let kind = parse_error(response.headers(), &bytes)
            .unwrap_or(ClientErrorKind::Protocol(ProtocolError::ErrorStatus));
        Err(ClientError::new(operation, kind).with_status(status))
    }

    /// `SECRET_HASH` for `username`, when the app client has a secret: base64 of
    /// HMAC-SHA256(key = secret, message = username | client id).
    pub(crate) fn secret_hash(&self, username: &str) -> Option<Secret> {
        use aws_lc_rs::hmac;
        use base64::Engine as _;
        let secret = self.client_secret.as_ref()?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose().as_bytes());
        let mut context = hmac::Context::with_key(&key);
        context.update(username.as_bytes());
        context.update(self.client_id.as_bytes());
        let tag = context.sign();
        Some(Secret::new(
            base64::engine::general_purpose::STANDARD.encode(tag.as_ref()),
        ))
    }
}

/// Reads the body of `response`, at most `max` bytes: `None` when it declares or sends more.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len().saturating_add(chunk.len()) > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}
