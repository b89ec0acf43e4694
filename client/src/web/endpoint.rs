//! The managed-login domain's endpoints the web sign-in calls server to server: `/oauth2/token`
//! (the authorization code, the refresh token) and `/oauth2/revoke`.

use std::fmt;
use std::time::Duration;

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;
use serde::Deserialize;

use crate::secret::Secret;
use crate::transport::read_capped;

/// Largest answer read (Cognito's token answers are a few KiB).
const MAX_ANSWER: usize = 64 * 1024;

/// Why a call to an endpoint failed.
#[derive(Debug)]
pub(crate) enum EndpointError {
    /// A 4xx with an OAuth `error` code (`invalid_grant`: the code or refresh token is used,
    /// expired or revoked).
    Refused(String),
    /// Unreachable, a timeout, a 5xx, or an answer that is not what the endpoint sends.
    Unavailable(&'static str),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(code) => write!(f, "the token endpoint refused the request ({code})"),
            Self::Unavailable(why) => f.write_str(why),
        }
    }
}

/// Tokens from `/oauth2/token`.
#[derive(Deserialize)]
pub(crate) struct TokenSet {
    pub(crate) access_token: String,
    pub(crate) id_token: Option<String>,
    pub(crate) refresh_token: Option<String>,
    pub(crate) expires_in: u64,
    token_type: String,
}

/// The endpoints and the client's credentials.
pub(crate) struct Endpoints {
    pub(crate) http: reqwest::Client,
    pub(crate) authorize: Url,
    pub(crate) token: Url,
    pub(crate) revoke: Url,
    pub(crate) logout: Url,
    pub(crate) client_id: String,
    /// `Basic ...` for a client with a secret.
    pub(crate) authorization: Option<Secret>,
    pub(crate) timeout: Duration,
}

impl Endpoints {
    /// Redeems `code` (sent once, whatever happens).
    pub(crate) async fn redeem(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenSet, EndpointError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", verifier),
        ];
        self.tokens(&form).await
    }

    /// New tokens for `refresh_token`; a `refresh_token` in the answer means the pool rotated
    /// it.
    pub(crate) async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, EndpointError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.client_id.as_str()),
        ];
        self.tokens(&form).await
    }

    /// Revokes `refresh_token` (and the tokens issued from it, for Cognito's own APIs).
    pub(crate) async fn revoke(&self, refresh_token: &str) -> Result<(), EndpointError> {
        let form = [
            ("token", refresh_token),
            ("client_id", self.client_id.as_str()),
        ];
        let (status, _) = self.post(&self.revoke, &form).await?;
        match status {
            200 => Ok(()),
            _ => Err(EndpointError::Refused(format!("HTTP {status}"))),
        }
    }

    async fn tokens(&self, form: &[(&str, &str)]) -> Result<TokenSet, EndpointError> {
        let (status, body) = self.post(&self.token, form).await?;
        if status == 200 {
            let tokens: TokenSet = serde_json::from_slice(&body)
                .map_err(|_| EndpointError::Unavailable("the token answer is not valid"))?;
            let header_safe = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic());
            if !tokens.token_type.eq_ignore_ascii_case("bearer")
                || !header_safe(&tokens.access_token)
                || !(1..=86_400).contains(&tokens.expires_in)
            {
                return Err(EndpointError::Unavailable("the token answer is not valid"));
            }
            return Ok(tokens);
        }
        if (400..500).contains(&status) {
            #[derive(Deserialize)]
            struct OAuthError {
                error: String,
            }
            let code = serde_json::from_slice::<OAuthError>(&body)
                .ok()
                .map(|e| e.error)
                .filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(EndpointError::Refused(code));
        }
        Err(EndpointError::Unavailable("the token endpoint failed"))
    }

    async fn post(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), EndpointError> {
        let body = {
            let mut body = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in form {
                body.append_pair(name, value);
            }
            body.finish()
        };
        let mut request = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(authorization) = &self.authorization
            && let Ok(mut value) = http::HeaderValue::from_str(authorization.expose())
        {
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        let exchange = async {
            let mut response = request
                .send()
                .await
                .map_err(|_| EndpointError::Unavailable("the token endpoint is unreachable"))?;
            let status = response.status().as_u16();
            let body = read_capped(&mut response, MAX_ANSWER)
                .await
                .map_err(|_| EndpointError::Unavailable("the token endpoint's answer failed"))?
                .ok_or(EndpointError::Unavailable(
                    "the token endpoint's answer is too large",
                ))?;
            Ok((status, body))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(EndpointError::Unavailable(
                "the token endpoint did not answer in time",
            )))
    }
}
