//! One token request: `POST <domain>/oauth2/token` with `grant_type=client_credentials`, the
//! client authenticated with `client_secret_basic`.

use std::time::Duration;

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;

use super::answer::{self, Granted, MAX_ANSWER_SIZE};
use super::error::{TokenError, TokenErrorKind};
use super::scopes::Scopes;
use crate::secret::Secret;
use crate::transport::read_capped;

/// The form body: the grant, and the scopes when the set is not empty (an empty set asks for
/// every custom scope of the client).
fn form(scopes: &Scopes) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "client_credentials");
    if !scopes.is_empty() {
        form.append_pair("scope", scopes.as_str());
    }
    form.finish()
}

/// Makes one request and reads its answer within `timeout`.
pub(crate) async fn request(
    http: &reqwest::Client,
    endpoint: &Url,
    authorization: &Secret,
    scopes: &Scopes,
    timeout: Duration,
) -> Result<Granted, TokenError> {
    match tokio::time::timeout(timeout, exchange(http, endpoint, authorization, scopes)).await {
        Ok(result) => result,
        Err(_) => Err(TokenError::new(
            TokenErrorKind::Timeout,
            "the token endpoint did not answer in time",
        )),
    }
}

async fn exchange(
    http: &reqwest::Client,
    endpoint: &Url,
    authorization: &Secret,
    scopes: &Scopes,
) -> Result<Granted, TokenError> {
    let transport = |e: reqwest::Error| {
        let kind = if e.is_timeout() {
            TokenErrorKind::Timeout
        } else {
            TokenErrorKind::Transport
        };
        // The endpoint holds no credentials (the builder refuses them); a URL reached another
        // way is left out.
        TokenError::new(kind, "the token request failed").with_source(e.without_url())
    };
    let mut value = http::HeaderValue::from_str(authorization.expose()).map_err(|_| {
        TokenError::new(
            TokenErrorKind::Transport,
            "the client credentials do not fit in a header",
        )
    })?;
    value.set_sensitive(true);
    let mut response = http
        .post(endpoint.clone())
        .header(AUTHORIZATION, value)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(scopes))
        .send()
        .await
        .map_err(transport)?;
    let status = response.status().as_u16();
    let Some(body) = read_capped(&mut response, MAX_ANSWER_SIZE)
        .await
        .map_err(|e| transport(e).with_status(status))?
    else {
        return Err(TokenError::new(
            TokenErrorKind::InvalidAnswer,
            "the token answer is larger than 64 KiB",
        )
        .with_status(status));
    };
    if status == 200 {
        answer::granted(&body).map_err(|e| e.with_status(status))
    } else {
        Err(answer::refused(status, &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_holds_the_grant_and_the_scopes() {
        assert_eq!(form(&Scopes::default()), "grant_type=client_credentials");
        let scopes: Scopes = "orders/write orders/read".parse().unwrap();
        assert_eq!(
            form(&scopes),
            "grant_type=client_credentials&scope=orders%2Fread+orders%2Fwrite"
        );
    }
}
