//! The glue between the user-pool client and the [`DenyList`]: sign a user out (or revoke a
//! refresh token) at Cognito, then deny the session's `origin_jti` so the layers refuse its
//! still-valid access and ID tokens at once instead of at their expiry.

use super::UserPoolClient;
use super::error::{ClientError, ClientErrorKind};
use super::secret::Secret;
use super::tokens::Tokens;
use tower_cognito::deny::DenyList;

/// The ids and times of a token's payload, read WITHOUT verifying it: only after Cognito
/// accepted the call the token belongs to, and only to name what to deny.
#[derive(serde::Deserialize)]
struct Session {
    origin_jti: Option<String>,
    jti: Option<String>,
    exp: u64,
    iat: Option<u64>,
    client_id: Option<String>,
}

fn session_of(token: &str) -> Option<Session> {
    super::tokens::unverified_payload(token)
}

impl UserPoolClient {
    /// [`global_sign_out`](Self::global_sign_out), then denies the session of `access_token`
    /// on `deny` (its `origin_jti`, until the last token of the session can have expired):
    /// the layers sharing `deny` answer its access and ID tokens `401` from now on.
    ///
    /// Cognito signs the user out of every device, but only this session's `origin_jti` is
    /// known here: access tokens of the user's other sessions stay valid locally until they
    /// expire (at most their lifetime, 1 h by default). Returns whether an id was denied (a
    /// token without `origin_jti` and `jti`, or of another app client, denies nothing).
    ///
    /// # Errors
    /// The [`ClientError`] of `GlobalSignOut`; nothing is denied then.
    pub async fn global_sign_out_and_deny(
        &self,
        access_token: &Secret,
        deny: &DenyList,
    ) -> Result<bool, ClientError> {
        self.global_sign_out(access_token).await?;
        // Cognito accepted the token: its payload names the session.
        Ok(self.deny_session(access_token, deny))
    }

    /// [`revoke_token`](Self::revoke_token) with the refresh token of `tokens`, then denies
    /// their session on `deny` (the refresh token is opaque; the session id is read from the
    /// access token given with it: pass the [`Tokens`] of one sign-in or refresh of this
    /// client). Returns whether an id was denied.
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] when `tokens`
    /// has no refresh token; the [`ClientError`] of `RevokeToken`. Nothing is denied then.
    pub async fn revoke_token_and_deny(
        &self,
        tokens: &Tokens,
        deny: &DenyList,
    ) -> Result<bool, ClientError> {
        let refresh = tokens.refresh_token.as_ref().ok_or_else(|| {
            ClientError::new(
                "RevokeToken",
                ClientErrorKind::InvalidInput("the tokens carry no refresh token"),
            )
        })?;
        self.revoke_token(refresh).await?;
        Ok(self.deny_session(&tokens.access_token, deny))
    }

    fn deny_session(&self, access_token: &Secret, deny: &DenyList) -> bool {
        let Some(session) = session_of(access_token.expose()) else {
            return false;
        };
        // A token of another app client names no session of this one.
        if session.client_id.as_deref() != Some(self.client_id()) {
            return false;
        }
        let Some(id) = session.origin_jti.as_deref().or(session.jti.as_deref()) else {
            return false;
        };
        deny.revoke_lineage(id, session.exp, session.iat);
        true
    }
}
