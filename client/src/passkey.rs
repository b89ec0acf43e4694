//! Passkey management with the user's access token: registration (start and completion),
//! listing and deleting the user's WebAuthn credentials.

use serde::{Deserialize, Serialize};

use super::UserPoolClient;
use super::error::{ClientError, ClientErrorKind, ProtocolError};
use super::secret::Secret;
use super::wire;

const START: &str = "StartWebAuthnRegistration";
const COMPLETE: &str = "CompleteWebAuthnRegistration";
const LIST: &str = "ListWebAuthnCredentials";
const DELETE: &str = "DeleteWebAuthnCredential";
/// The largest page `ListWebAuthnCredentials` accepts.
const MAX_RESULTS: u32 = 20;

/// A passkey of the user, as `ListWebAuthnCredentials` gives it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebAuthnCredential {
    /// The credential id (base64url), for
    /// [`delete_web_authn_credential`](UserPoolClient::delete_web_authn_credential).
    pub credential_id: String,
    /// The name the authenticator or the user gave it.
    pub friendly_credential_name: Option<String>,
    /// The relying party it is bound to (the pool's domain).
    pub relying_party_id: String,
    /// `platform` or `cross-platform`, when known.
    pub authenticator_attachment: Option<String>,
    /// `usb`, `nfc`, `ble`, `internal`, `hybrid`...
    pub authenticator_transports: Vec<String>,
    /// When it was registered, in seconds since the Unix epoch.
    pub created_at: f64,
}

/// A page of [`list_web_authn_credentials`](UserPoolClient::list_web_authn_credentials).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebAuthnCredentials {
    /// The credentials of this page.
    pub credentials: Vec<WebAuthnCredential>,
    /// The token of the next page, if there is one.
    pub next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CompleteRequest<'a> {
    access_token: &'a str,
    credential: &'a serde_json::Value,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest<'a> {
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_results: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest<'a> {
    access_token: &'a str,
    credential_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartResponse {
    credential_creation_options: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListResponse {
    #[serde(default)]
    credentials: Vec<CredentialWire>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialWire {
    credential_id: Option<String>,
    friendly_credential_name: Option<String>,
    relying_party_id: Option<String>,
    authenticator_attachment: Option<String>,
    #[serde(default)]
    authenticator_transports: Vec<String>,
    created_at: Option<f64>,
}

impl UserPoolClient {
    /// Starts registering a passkey for the signed-in user (`StartWebAuthnRegistration`):
    /// returns the `PublicKeyCredentialCreationOptionsJSON` to hand to the authenticator as it
    /// is (the browser's `PublicKeyCredential.parseCreationOptionsFromJSON`, then
    /// `navigator.credentials.create`). Finish with
    /// [`complete_web_authn_registration`](Self::complete_web_authn_registration).
    ///
    /// # Errors
    /// A [`ClientError`]: an invalid token is
    /// [`NotAuthorized`](super::CognitoErrorKind::NotAuthorized); a pool without passkeys
    /// answers [`WebAuthnNotEnabled`](super::CognitoErrorKind::WebAuthnNotEnabled) or
    /// [`WebAuthnConfigurationMissing`](super::CognitoErrorKind::WebAuthnConfigurationMissing);
    /// an answer without the options is a [`ProtocolError::MissingField`].
    pub async fn start_web_authn_registration(
        &self,
        access_token: &Secret,
    ) -> Result<serde_json::Value, ClientError> {
        let body = wire::AccessTokenRequest {
            access_token: access_token.expose(),
        };
        let answer: StartResponse = self.inner.call(START, &body).await?;
        answer
            .credential_creation_options
            .filter(serde_json::Value::is_object)
            .ok_or_else(|| {
                ClientError::protocol(
                    START,
                    ProtocolError::MissingField("CredentialCreationOptions"),
                )
            })
    }

    /// Completes a passkey registration (`CompleteWebAuthnRegistration`) with the
    /// authenticator's `RegistrationResponseJSON` (the browser's
    /// `PublicKeyCredential.toJSON()`), sent unchanged.
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] when `credential` is not a JSON object (nothing is
    /// sent); otherwise a [`ClientError`] whose
    /// [`CognitoErrorKind`](super::CognitoErrorKind) says why: a wrong challenge is
    /// `WebAuthnChallengeNotFound`, a wrong relying party `WebAuthnRelyingPartyMismatch`, a
    /// wrong origin `WebAuthnOriginNotAllowed`, an unsupported key
    /// `WebAuthnCredentialNotSupported`.
    pub async fn complete_web_authn_registration(
        &self,
        access_token: &Secret,
        credential: &serde_json::Value,
    ) -> Result<(), ClientError> {
        if !credential.is_object() {
            return Err(ClientError::new(
                COMPLETE,
                ClientErrorKind::InvalidInput("the passkey credential is not a JSON object"),
            ));
        }
        let body = CompleteRequest {
            access_token: access_token.expose(),
            credential,
        };
        self.inner
            .call::<_, wire::Empty>(COMPLETE, &body)
            .await
            .map(drop)
    }

    /// One page of the signed-in user's passkeys (`ListWebAuthnCredentials`): pass the
    /// previous page's `next_token` to read the next; `max_results` is at most 20.
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] when `max_results` is above 20; otherwise a
    /// [`ClientError`]; an entry without its id, relying party or date is a
    /// [`ProtocolError::MissingField`].
    pub async fn list_web_authn_credentials(
        &self,
        access_token: &Secret,
        next_token: Option<&str>,
        max_results: Option<u32>,
    ) -> Result<WebAuthnCredentials, ClientError> {
        if max_results.is_some_and(|m| m > MAX_RESULTS) {
            return Err(ClientError::new(
                LIST,
                ClientErrorKind::InvalidInput("at most 20 passkeys per page"),
            ));
        }
        let body = ListRequest {
            access_token: access_token.expose(),
            next_token,
            max_results,
        };
        let answer: ListResponse = self.inner.call(LIST, &body).await?;
        let missing = |field| ClientError::protocol(LIST, ProtocolError::MissingField(field));
        let credentials = answer
            .credentials
            .into_iter()
            .map(|c| {
                Ok(WebAuthnCredential {
                    credential_id: c.credential_id.ok_or_else(|| missing("CredentialId"))?,
                    friendly_credential_name: c.friendly_credential_name,
                    relying_party_id: c
                        .relying_party_id
                        .ok_or_else(|| missing("RelyingPartyId"))?,
                    authenticator_attachment: c.authenticator_attachment,
                    authenticator_transports: c.authenticator_transports,
                    created_at: c.created_at.ok_or_else(|| missing("CreatedAt"))?,
                })
            })
            .collect::<Result<_, ClientError>>()?;
        Ok(WebAuthnCredentials {
            credentials,
            next_token: answer.next_token.filter(|t| !t.is_empty()),
        })
    }

    /// Deletes one of the signed-in user's passkeys (`DeleteWebAuthnCredential`).
    ///
    /// # Errors
    /// A [`ClientError`]; an unknown id is
    /// [`ResourceNotFound`](super::CognitoErrorKind::ResourceNotFound).
    pub async fn delete_web_authn_credential(
        &self,
        access_token: &Secret,
        credential_id: &str,
    ) -> Result<(), ClientError> {
        let body = DeleteRequest {
            access_token: access_token.expose(),
            credential_id,
        };
        self.inner
            .call::<_, wire::Empty>(DELETE, &body)
            .await
            .map(drop)
    }
}
