//! One token request: `POST <domain>/oauth2/token` with `grant_type=client_credentials`, the
//! client authenticated with `client_secret_basic`.

use std::time::Duration;

use reqwest::Url;

use super::answer::{self, Granted};
use super::error::{TokenError, TokenErrorKind};
use super::scopes::Scopes;
use crate::secret::Secret;
use crate::token_endpoint::{PostError, post_form};

/// The form body: the grant, and the scopes when the set is not empty (an empty set asks for
/// every custom scope of the client).
fn form(scopes: &Scopes) -> String {
    if scopes.is_empty() {
        crate::token_endpoint::form(&[("grant_type", "client_credentials")])
    } else {
        crate::token_endpoint::form(&[
            ("grant_type", "client_credentials"),
            ("scope", scopes.as_str()),
        ])
    }
}

/// Makes one request and reads its answer within `timeout`.
pub(crate) async fn request(
    http: &reqwest::Client,
    endpoint: &Url,
    authorization: &Secret,
    scopes: &Scopes,
    timeout: Duration,
) -> Result<Granted, TokenError> {
    let (status, body) = post_form(http, endpoint, Some(authorization), form(scopes), timeout)
        .await
        .map_err(|e| match e {
            PostError::Timeout => TokenError::new(
                TokenErrorKind::Timeout,
                "the token endpoint did not answer in time",
            ),
            PostError::Transport(e) => {
                TokenError::new(TokenErrorKind::Transport, "the token request failed")
                    .with_source(e)
            }
            PostError::TooLarge(status) => TokenError::new(
                TokenErrorKind::InvalidAnswer,
                "the token answer is larger than 64 KiB",
            )
            .with_status(status),
        })?;
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
