//! [`Tokens`]: what a sign-in or a refresh gives, and the step from tokens to verified claims.

use std::time::{Duration, SystemTime};

use super::error::{ClientError, ProtocolError};
use super::secret::Secret;
use super::wire;
use serde::de::DeserializeOwned;
use tower_cognito::{Claims, CognitoAuthLayer, CognitoClaims, Error, Verifier, jwks::KeySet};

/// The tokens of a successful sign-in or refresh.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Tokens {
    /// The access token: send it as `Authorization: Bearer ...` to APIs.
    pub access_token: Secret,
    /// The ID token: the user's identity and attributes.
    pub id_token: Secret,
    /// The refresh token. A refresh without rotation returns none, and the client keeps the
    /// one it refreshed with here.
    pub refresh_token: Option<Secret>,
    /// Lifetime of the access and ID tokens (`ExpiresIn`).
    pub expires_in: Duration,
    /// When they expire: the time the answer was read plus `expires_in`.
    pub expires_at: SystemTime,
    /// `Bearer`.
    pub token_type: String,
    /// The device Cognito started tracking with this sign-in (pools that remember devices):
    /// confirm it with
    /// [`remember_new_device`](super::UserPoolClient::remember_new_device) or
    /// [`confirm_device`](super::UserPoolClient::confirm_device).
    pub new_device: Option<NewDeviceMetadata>,
}

/// `NewDeviceMetadata` of a sign-in: the key of the device Cognito started tracking and its
/// group's key. Neither is a secret (the device password, made when the device is confirmed,
/// is).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewDeviceMetadata {
    /// `DeviceKey` (`us-east-1_<uuid>`).
    pub device_key: String,
    /// `DeviceGroupKey`.
    pub device_group_key: String,
}

impl Tokens {
    /// Reads an `AuthenticationResult`; `received` is when the answer came.
    pub(crate) fn from_wire(
        operation: &'static str,
        result: wire::AuthenticationResult,
        received: SystemTime,
    ) -> Result<Self, ClientError> {
        let missing = |field| ClientError::protocol(operation, ProtocolError::MissingField(field));
        let access_token = result
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| missing("AuthenticationResult.AccessToken"))?;
        let id_token = result
            .id_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| missing("AuthenticationResult.IdToken"))?;
        // Cognito always sends `ExpiresIn`; cognito-local 5.3 does not, so its absence falls
        // back to the access token's own `exp - iat`.
        let expires_in = Duration::from_secs(
            result
                .expires_in
                .or_else(|| lifetime_from_payload(&access_token))
                .ok_or_else(|| missing("AuthenticationResult.ExpiresIn"))?,
        );
        let expires_at = received.checked_add(expires_in).ok_or_else(|| {
            ClientError::protocol(
                operation,
                ProtocolError::InvalidField("AuthenticationResult.ExpiresIn"),
            )
        })?;
        Ok(Self {
            access_token: Secret::new(access_token),
            id_token: Secret::new(id_token),
            refresh_token: result
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            expires_in,
            expires_at,
            // Cognito always sends `Bearer`; some emulators omit it.
            token_type: result.token_type.unwrap_or_else(|| "Bearer".to_owned()),
            new_device: match result.new_device_metadata {
                None => None,
                Some(metadata) => Some(NewDeviceMetadata::from_wire(operation, metadata)?),
            },
        })
    }

    /// Whether the access and ID tokens have expired at `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        now >= self.expires_at
    }

    /// Verifies the access token with the verifier, key set and clock of `layer`, as the layer
    /// would verify it on a request.
    ///
    /// The layer must accept access tokens ([`TokenUse::Access`] or `Any`). This is
    /// [`CognitoAuthLayer::verify`]: the request path without HTTP, with the layer's clock, live
    /// key set, verified-token cache and maximum key age.
    ///
    /// # Errors
    /// The [`Error`] the layer would reject the token with (an empty key set gives
    /// [`ErrorKind::KeysUnavailable`](tower_cognito::ErrorKind::KeysUnavailable)).
    ///
    /// [`TokenUse::Access`]: tower_cognito::TokenUse::Access
    pub fn verify_access<E, R, C>(
        &self,
        layer: &CognitoAuthLayer<E, R, C>,
    ) -> Result<Claims<E>, Error>
    where
        E: DeserializeOwned + Send + Sync + 'static,
    {
        layer.verify(self.access_token.expose())
    }

    /// Verifies the ID token with the verifier, key set and clock of `layer`.
    ///
    /// The layer must accept ID tokens ([`TokenUse::Id`] or `Any`).
    ///
    /// # Errors
    /// The [`Error`] the layer would reject the token with.
    ///
    /// [`TokenUse::Id`]: tower_cognito::TokenUse::Id
    pub fn verify_id<E, R, C>(&self, layer: &CognitoAuthLayer<E, R, C>) -> Result<Claims<E>, Error>
    where
        E: DeserializeOwned + Send + Sync + 'static,
    {
        layer.verify(self.id_token.expose())
    }

    /// Verifies the access token with `verifier` and `keys` at `now` (seconds since the Unix
    /// epoch): [`Verifier::verify`] outside a layer.
    ///
    /// # Errors
    /// The first rule the token breaks.
    pub fn verify_access_with(
        &self,
        verifier: &Verifier,
        keys: &KeySet,
        now: u64,
    ) -> Result<CognitoClaims, Error> {
        verifier.verify(self.access_token.expose(), keys, now)
    }

    /// Verifies the ID token with `verifier` and `keys` at `now` (seconds since the Unix epoch).
    ///
    /// # Errors
    /// The first rule the token breaks.
    pub fn verify_id_with(
        &self,
        verifier: &Verifier,
        keys: &KeySet,
        now: u64,
    ) -> Result<CognitoClaims, Error> {
        verifier.verify(self.id_token.expose(), keys, now)
    }
}

impl NewDeviceMetadata {
    /// Both keys are required, non-empty and at most 1 KiB (the service model: 1 to 55
    /// characters).
    fn from_wire(
        operation: &'static str,
        metadata: wire::NewDeviceMetadata,
    ) -> Result<Self, ClientError> {
        let check = |value: Option<String>, field| {
            let value = value.ok_or_else(|| {
                ClientError::protocol(operation, ProtocolError::MissingField(field))
            })?;
            if value.is_empty() || value.len() > 1024 {
                return Err(ClientError::protocol(
                    operation,
                    ProtocolError::InvalidField(field),
                ));
            }
            Ok(value)
        };
        Ok(Self {
            device_key: check(metadata.device_key, "NewDeviceMetadata.DeviceKey")?,
            device_group_key: check(
                metadata.device_group_key,
                "NewDeviceMetadata.DeviceGroupKey",
            )?,
        })
    }
}

/// `exp - iat` of a JWT's payload, read WITHOUT verifying the token: only the lifetime hint
/// for an answer that lacks `ExpiresIn`, never a claim anyone relies on.
fn lifetime_from_payload(token: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Times {
        exp: u64,
        iat: u64,
    }
    let times: Times = unverified_payload(token)?;
    times.exp.checked_sub(times.iat)
}

/// The payload of a JWT, deserialized WITHOUT verifying the token (at most 64 KiB of it): for
/// hints about tokens Cognito just handed over, never for a claim anyone relies on.
pub(crate) fn unverified_payload<T: serde::de::DeserializeOwned>(token: &str) -> Option<T> {
    use base64::Engine as _;

    let payload = token.split('.').nth(1)?;
    if payload.len() > 64 * 1024 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
