//! Sign-ins that send the remembered device's key and answer `DEVICE_SRP_AUTH` and
//! `DEVICE_PASSWORD_VERIFIER` from a [`DeviceStore`].

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::UserPoolClient;
use crate::auth::{INITIATE_AUTH, RESPOND_TO_AUTH_CHALLENGE, password_verifier_challenge};
use crate::challenge::{Challenge, ChallengeAnswer, SignIn, sign_in_from_wire};
use crate::error::{ClientError, ClientErrorKind, ProtocolError};
use crate::secret::Secret;
use crate::srp::{PasswordVerifierChallenge, SrpClient, cognito_timestamp_at};
use crate::wire;

use super::ops::store_error;
use super::store::{DeviceStore, DeviceStoreError, RememberedDevice};

/// The challenge of a remembered device, after the password (and MFA, for a device that is
/// tracked but not remembered).
const DEVICE_SRP_AUTH: &str = "DEVICE_SRP_AUTH";
const DEVICE_PASSWORD_VERIFIER: &str = "DEVICE_PASSWORD_VERIFIER";

impl UserPoolClient {
    /// [`sign_in_srp`](Self::sign_in_srp) from a device: sends the `DEVICE_KEY` that `store`
    /// has for the user (looked up under `username`, then under the internal user name the
    /// password challenge carries), and answers `DEVICE_SRP_AUTH` and
    /// `DEVICE_PASSWORD_VERIFIER` with the stored device when Cognito asks for them (a
    /// remembered device skips MFA). Returns the tokens or the next challenge (MFA on a device
    /// that is not remembered: answer it with
    /// [`respond_to_challenge_with_device`](Self::respond_to_challenge_with_device)). Tokens
    /// with [`new_device`](crate::Tokens::new_device) are for
    /// [`remember_new_device`](Self::remember_new_device).
    ///
    /// # Errors
    /// As [`sign_in_srp`](Self::sign_in_srp); a device password that no longer matches is
    /// [`CognitoErrorKind::NotAuthorized`](crate::CognitoErrorKind::NotAuthorized) from
    /// `DEVICE_PASSWORD_VERIFIER` (the device is not forgotten, nothing is retried); a device
    /// the pool no longer knows (forgotten, or the user deleted) is
    /// [`CognitoErrorKind::ResourceNotFound`](crate::CognitoErrorKind::ResourceNotFound): remove
    /// it from the store ([`DeviceStore::remove`]) and sign in again, as a new device;
    /// [`ClientErrorKind::DeviceStore`] when the store fails.
    pub async fn sign_in_srp_with_device<S: DeviceStore>(
        &self,
        username: &str,
        password: &Secret,
        store: &S,
    ) -> Result<SignIn, ClientError> {
        let mut device = load(store, INITIATE_AUTH, username).await?;
        let srp = SrpClient::for_pool_name(self.inner.user_pool_id.name())
            .map_err(|e| ClientError::new(INITIATE_AUTH, ClientErrorKind::Srp(e)))?;
        let srp_a = srp.srp_a_hex();
        let secret_hash = self.inner.secret_hash(username);
        let mut parameters = BTreeMap::from([("USERNAME", username), ("SRP_A", srp_a.as_str())]);
        if let Some(hash) = &secret_hash {
            parameters.insert("SECRET_HASH", hash.expose());
        }
        if let Some(device) = &device {
            parameters.insert("DEVICE_KEY", device.device_key.as_str());
        }
        let body = wire::InitiateAuthRequest {
            auth_flow: "USER_SRP_AUTH",
            client_id: &self.inner.client_id,
            auth_parameters: parameters,
        };
        let answer: wire::AuthResponse = self.inner.call(INITIATE_AUTH, &body).await?;
        if answer.challenge_name.as_deref() != Some("PASSWORD_VERIFIER") {
            let step = sign_in_from_wire(INITIATE_AUTH, answer, username, SystemTime::now())?;
            return self.continue_with_device(step, store).await;
        }

        let challenge = password_verifier_challenge(INITIATE_AUTH, &answer)?;
        if device.is_none() && challenge.username != username {
            // An alias was typed: the device is stored under the internal name.
            device = load(store, RESPOND_TO_AUTH_CHALLENGE, challenge.username).await?;
        }
        let step = self
            .respond_password_verifier(
                &srp,
                &challenge,
                password,
                answer.session.as_deref(),
                device.as_ref().map(|d| d.device_key.as_str()),
            )
            .await?;
        self.continue_with_device(step, store).await
    }

    /// [`sign_in_password`](Self::sign_in_password) from a device: `USER_PASSWORD_AUTH` with
    /// the `DEVICE_KEY` that `store` has for `username`, then `DEVICE_SRP_AUTH` answered from the
    /// store as [`sign_in_srp_with_device`](Self::sign_in_srp_with_device) does.
    ///
    /// # Errors
    /// As [`sign_in_srp_with_device`](Self::sign_in_srp_with_device).
    pub async fn sign_in_password_with_device<S: DeviceStore>(
        &self,
        username: &str,
        password: &Secret,
        store: &S,
    ) -> Result<SignIn, ClientError> {
        let device = load(store, INITIATE_AUTH, username).await?;
        let secret_hash = self.inner.secret_hash(username);
        let mut parameters =
            BTreeMap::from([("USERNAME", username), ("PASSWORD", password.expose())]);
        if let Some(hash) = &secret_hash {
            parameters.insert("SECRET_HASH", hash.expose());
        }
        if let Some(device) = &device {
            parameters.insert("DEVICE_KEY", device.device_key.as_str());
        }
        let body = wire::InitiateAuthRequest {
            auth_flow: "USER_PASSWORD_AUTH",
            client_id: &self.inner.client_id,
            auth_parameters: parameters,
        };
        let answer: wire::AuthResponse = self.inner.call(INITIATE_AUTH, &body).await?;
        let step = sign_in_from_wire(INITIATE_AUTH, answer, username, SystemTime::now())?;
        self.continue_with_device(step, store).await
    }

    /// [`respond_to_challenge`](Self::respond_to_challenge) from a device: the answer carries
    /// the `DEVICE_KEY` that `store` has for the challenge's user, and a `DEVICE_SRP_AUTH` that
    /// follows (after MFA, on a device that is tracked but not remembered) is answered from the
    /// store. A `DEVICE_SRP_AUTH` challenge itself is answered from the store whatever `answer`
    /// says.
    ///
    /// # Errors
    /// As [`respond_to_challenge`](Self::respond_to_challenge) and
    /// [`sign_in_srp_with_device`](Self::sign_in_srp_with_device).
    pub async fn respond_to_challenge_with_device<S: DeviceStore>(
        &self,
        challenge: &Challenge,
        answer: &ChallengeAnswer,
        store: &S,
    ) -> Result<SignIn, ClientError> {
        const OP: &str = RESPOND_TO_AUTH_CHALLENGE;
        if challenge.name() == DEVICE_SRP_AUTH {
            return self
                .continue_with_device(SignIn::Challenge(challenge.clone()), store)
                .await;
        }
        let device = load(store, OP, challenge.username()).await?;
        let step = match &device {
            Some(device) => {
                let extra = [("DEVICE_KEY", device.device_key.as_str())];
                self.respond_to_challenge_with(challenge, answer, &extra)
                    .await?
            }
            None => self.respond_to_challenge(challenge, answer).await?,
        };
        self.continue_with_device(step, store).await
    }

    /// Answers a `DEVICE_SRP_AUTH` challenge with `device`: `SRP_A` of a fresh a with
    /// `DEVICE_KEY`, then the `DEVICE_PASSWORD_VERIFIER` claim (the user SRP with the device
    /// group key as pool name, the device key as user id and the device password), each with
    /// its challenge's session, `USERNAME` and `SECRET_HASH` over it. Returns the tokens.
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] when `challenge` is not `DEVICE_SRP_AUTH`; a wrong
    /// device password is [`CognitoErrorKind::NotAuthorized`](crate::CognitoErrorKind::NotAuthorized);
    /// a malformed challenge is [`ClientErrorKind::Srp`] or [`ClientErrorKind::Protocol`].
    pub async fn answer_device_srp(
        &self,
        challenge: &Challenge,
        device: &RememberedDevice,
    ) -> Result<SignIn, ClientError> {
        const OP: &str = RESPOND_TO_AUTH_CHALLENGE;
        if challenge.name() != DEVICE_SRP_AUTH {
            return Err(ClientError::new(
                OP,
                ClientErrorKind::InvalidInput("the challenge is not DEVICE_SRP_AUTH"),
            ));
        }
        let srp = SrpClient::for_device(&device.device_group_key)
            .map_err(|e| ClientError::new(OP, ClientErrorKind::Srp(e)))?;
        let srp_a = srp.srp_a_hex();
        let username = challenge.username();
        let secret_hash = self.inner.secret_hash(username);
        let mut responses = BTreeMap::from([
            ("USERNAME".to_owned(), username),
            ("DEVICE_KEY".to_owned(), device.device_key.as_str()),
            ("SRP_A".to_owned(), srp_a.as_str()),
        ]);
        if let Some(hash) = &secret_hash {
            responses.insert("SECRET_HASH".to_owned(), hash.expose());
        }
        let body = wire::RespondToAuthChallengeRequest {
            challenge_name: DEVICE_SRP_AUTH,
            client_id: &self.inner.client_id,
            session: Some(challenge.session().expose()),
            challenge_responses: responses,
        };
        let answer: wire::AuthResponse = self.inner.call(OP, &body).await?;
        if answer.challenge_name.as_deref() != Some(DEVICE_PASSWORD_VERIFIER) {
            return sign_in_from_wire(OP, answer, username, SystemTime::now());
        }
        let params = &answer.challenge_parameters;
        let param = |name: &'static str| {
            params
                .get(name)
                .map(String::as_str)
                .ok_or_else(|| ClientError::protocol(OP, ProtocolError::MissingField(name)))
        };
        let challenge_username = params
            .get("USERNAME")
            .map(String::as_str)
            .filter(|u| !u.is_empty())
            .unwrap_or(username);
        let session = answer
            .session
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ClientError::protocol(OP, ProtocolError::MissingField("Session")))?;
        let verifier_challenge = PasswordVerifierChallenge::new(
            param("SALT")?,
            param("SRP_B")?,
            param("SECRET_BLOCK")?,
            &device.device_key,
            challenge_username,
        );
        let timestamp = cognito_timestamp_at(SystemTime::now());
        let claim = srp
            .password_claim(
                &verifier_challenge,
                device.device_password.expose(),
                &timestamp,
            )
            .map_err(|e| ClientError::new(OP, ClientErrorKind::Srp(e)))?;
        let secret_hash = self.inner.secret_hash(claim.username());
        let mut responses = BTreeMap::from([
            ("USERNAME".to_owned(), claim.username()),
            (
                "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                claim.secret_block(),
            ),
            ("PASSWORD_CLAIM_SIGNATURE".to_owned(), claim.signature()),
            ("TIMESTAMP".to_owned(), claim.timestamp()),
            ("DEVICE_KEY".to_owned(), device.device_key.as_str()),
        ]);
        if let Some(hash) = &secret_hash {
            responses.insert("SECRET_HASH".to_owned(), hash.expose());
        }
        let body = wire::RespondToAuthChallengeRequest {
            challenge_name: DEVICE_PASSWORD_VERIFIER,
            client_id: &self.inner.client_id,
            session: Some(session),
            challenge_responses: responses,
        };
        let answer: wire::AuthResponse = self.inner.call(OP, &body).await?;
        sign_in_from_wire(OP, answer, claim.username(), SystemTime::now())
    }

    /// A `DEVICE_SRP_AUTH` step answered from the store; any other step as it is.
    async fn continue_with_device<S: DeviceStore>(
        &self,
        step: SignIn,
        store: &S,
    ) -> Result<SignIn, ClientError> {
        const OP: &str = RESPOND_TO_AUTH_CHALLENGE;
        let challenge = match step {
            SignIn::Challenge(challenge) if challenge.name() == DEVICE_SRP_AUTH => challenge,
            other => return Ok(other),
        };
        let device = load(store, OP, challenge.username())
            .await?
            .ok_or_else(|| {
                store_error(
                    OP,
                    DeviceStoreError::new(
                        "Cognito asked for DEVICE_SRP_AUTH and no device is stored for the user",
                    ),
                )
            })?;
        self.answer_device_srp(&challenge, &device).await
    }
}

async fn load<S: DeviceStore>(
    store: &S,
    operation: &'static str,
    username: &str,
) -> Result<Option<RememberedDevice>, ClientError> {
    store
        .load(username)
        .await
        .map_err(|e| store_error(operation, e))
}
