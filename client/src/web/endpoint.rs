//! The managed-login domain's endpoints the web sign-in calls server to server: `/oauth2/token`
//! (the authorization code, the refresh token) and `/oauth2/revoke`.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use crate::secret::Secret;
use crate::token_endpoint::{self, PostError};

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

/// Tokens from `/oauth2/token` (the access token checked as the token source checks it).
pub(crate) struct TokenSet {
    pub(crate) access_token: String,
    pub(crate) id_token: Option<String>,
    pub(crate) refresh_token: Option<String>,
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
            let invalid = || EndpointError::Unavailable("the token answer is not valid");
            let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(&body) else {
                return Err(invalid());
            };
            // `expires_in` is checked; the session keeps the access token's own `exp`.
            let (access_token, _expires_in) =
                token_endpoint::access_token(&answer).map_err(|_| invalid())?;
            let optional = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
            return Ok(TokenSet {
                access_token: access_token.to_owned(),
                id_token: optional("id_token"),
                refresh_token: optional("refresh_token"),
            });
        }
        if (400..500).contains(&status) {
            let code = token_endpoint::oauth_error(&body)
                .map_or_else(|| format!("HTTP {status}"), |(code, _)| code);
            return Err(EndpointError::Refused(code));
        }
        Err(EndpointError::Unavailable("the token endpoint failed"))
    }

    async fn post(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), EndpointError> {
        let body = token_endpoint::form(form);
        token_endpoint::post_form(
            &self.http,
            url,
            self.authorization.as_ref(),
            body,
            self.timeout,
        )
        .await
        .map_err(|e| {
            EndpointError::Unavailable(match e {
                PostError::Timeout => "the token endpoint did not answer in time",
                PostError::Transport(_) => "the token endpoint is unreachable",
                PostError::TooLarge(_) => "the token endpoint's answer is too large",
            })
        })
    }
}
