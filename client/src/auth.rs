//! Sign-in (`USER_PASSWORD_AUTH`, `USER_SRP_AUTH`), challenges and refresh.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::UserPoolClient;
use super::challenge::{Challenge, ChallengeAnswer, SignIn, sign_in_from_wire};
use super::error::{ClientError, ClientErrorKind, ProtocolError};
use super::secret::Secret;
use super::srp::{PasswordVerifierChallenge, SrpClient, cognito_timestamp_at};
use super::tokens::Tokens;
use super::wire;

pub(crate) const INITIATE_AUTH: &str = "InitiateAuth";
pub(crate) const RESPOND_TO_AUTH_CHALLENGE: &str = "RespondToAuthChallenge";
pub(crate) const GET_TOKENS_FROM_REFRESH_TOKEN: &str = "GetTokensFromRefreshToken";

impl UserPoolClient {
    /// Signs in with `USER_PASSWORD_AUTH`: the password goes to Cognito (over TLS). The app
    /// client must allow this flow; prefer [`sign_in_srp`](Self::sign_in_srp) otherwise.
    ///
    /// `username` is what the user typed (a user name or an alias such as the email);
    /// `SECRET_HASH` is computed over it.
    ///
    /// # Errors
    /// A [`ClientError`]; a wrong password or an unknown user is
    /// [`CognitoErrorKind::NotAuthorized`](super::CognitoErrorKind::NotAuthorized) (or
    /// `UserNotFound`, depending on the pool's settings).
    pub async fn sign_in_password(
        &self,
        username: &str,
        password: &Secret,
    ) -> Result<SignIn, ClientError> {
        let secret_hash = self.inner.secret_hash(username);
        let mut parameters =
            BTreeMap::from([("USERNAME", username), ("PASSWORD", password.expose())]);
        if let Some(hash) = &secret_hash {
            parameters.insert("SECRET_HASH", hash.expose());
        }
        self.initiate_auth("USER_PASSWORD_AUTH", parameters, username)
            .await
    }

    /// Signs in with `USER_SRP_AUTH`: the password never leaves the process. Sends `SRP_A`,
    /// answers the `PASSWORD_VERIFIER` challenge with the password claim (timestamped now, in
    /// UTC), and returns the tokens or the next challenge (MFA, new password...).
    ///
    /// The answer carries the challenge's `USERNAME` (the internal user name, which differs
    /// from an alias the user typed) and `SECRET_HASH` over that name.
    ///
    /// The SRP arithmetic (two constant-time 3072-bit exponentiations) runs on the calling task,
    /// between the two calls.
    ///
    /// # Errors
    /// A [`ClientError`]; a wrong password is
    /// [`CognitoErrorKind::NotAuthorized`](super::CognitoErrorKind::NotAuthorized) from
    /// `RespondToAuthChallenge`; a malformed challenge is [`ClientErrorKind::Srp`] or
    /// [`ClientErrorKind::Protocol`].
    pub async fn sign_in_srp(
        &self,
        username: &str,
        password: &Secret,
    ) -> Result<SignIn, ClientError> {
        let srp = SrpClient::for_pool_name(self.inner.user_pool_id.name())
            .map_err(|e| ClientError::new(INITIATE_AUTH, ClientErrorKind::Srp(e)))?;
        let srp_a = srp.srp_a_hex();
        let secret_hash = self.inner.secret_hash(username);
        let mut parameters = BTreeMap::from([("USERNAME", username), ("SRP_A", srp_a.as_str())]);
        if let Some(hash) = &secret_hash {
            parameters.insert("SECRET_HASH", hash.expose());
        }
        let body = wire::InitiateAuthRequest {
            auth_flow: "USER_SRP_AUTH",
            client_id: &self.inner.client_id,
            auth_parameters: parameters,
        };
        let answer: wire::AuthResponse = self.inner.call(INITIATE_AUTH, &body).await?;
        if answer.challenge_name.as_deref() != Some("PASSWORD_VERIFIER") {
            // Tokens at once (never from Cognito), or another challenge (custom flows).
            return sign_in_from_wire(INITIATE_AUTH, answer, username, SystemTime::now());
        }

        let challenge = password_verifier_challenge(INITIATE_AUTH, &answer)?;
        self.respond_password_verifier(&srp, &challenge, password, answer.session.as_deref(), None)
            .await
    }

    /// Answers a `PASSWORD_VERIFIER` challenge: the password claim of `srp` (timestamped now,
    /// in UTC) over the challenge's `USERNAME`, with `SECRET_HASH` over that name, the
    /// `DEVICE_KEY` of a remembered device when given, and the challenge's session when it had
    /// one. The one answer of `USER_SRP_AUTH`, `PASSWORD_SRP` (`USER_AUTH`) and device sign-ins.
    pub(crate) async fn respond_password_verifier(
        &self,
        srp: &SrpClient,
        challenge: &PasswordVerifierChallenge<'_>,
        password: &Secret,
        session: Option<&str>,
        device_key: Option<&str>,
    ) -> Result<SignIn, ClientError> {
        const OP: &str = RESPOND_TO_AUTH_CHALLENGE;
        let timestamp = cognito_timestamp_at(SystemTime::now());
        let claim = srp
            .password_claim(challenge, password.expose(), &timestamp)
            .map_err(|e| ClientError::new(OP, ClientErrorKind::Srp(e)))?;
        let secret_hash = self.inner.secret_hash(&claim.username);
        let mut responses = BTreeMap::from([
            ("USERNAME".to_owned(), claim.username.as_str()),
            (
                "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                claim.secret_block.as_str(),
            ),
            (
                "PASSWORD_CLAIM_SIGNATURE".to_owned(),
                claim.signature_b64.as_str(),
            ),
            ("TIMESTAMP".to_owned(), claim.timestamp.as_str()),
        ]);
        if let Some(hash) = &secret_hash {
            responses.insert("SECRET_HASH".to_owned(), hash.expose());
        }
        if let Some(device_key) = device_key {
            responses.insert("DEVICE_KEY".to_owned(), device_key);
        }
        let body = wire::RespondToAuthChallengeRequest {
            challenge_name: "PASSWORD_VERIFIER",
            client_id: &self.inner.client_id,
            // Cognito sends a session with the challenge; send it back when it did.
            session: session.filter(|s| !s.is_empty()),
            challenge_responses: responses,
        };
        let answer: wire::AuthResponse = self.inner.call(OP, &body).await?;
        sign_in_from_wire(OP, answer, &claim.username, SystemTime::now())
    }

    /// Answers `challenge` with `answer` (with the challenge's session and user name, and
    /// `SECRET_HASH` over that name), and returns the tokens or the next challenge.
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] when `answer` does not fit `challenge` (nothing is
    /// sent); otherwise a [`ClientError`] from Cognito (a wrong code is
    /// [`CognitoErrorKind::CodeMismatch`](super::CognitoErrorKind::CodeMismatch)).
    pub async fn respond_to_challenge(
        &self,
        challenge: &Challenge,
        answer: &ChallengeAnswer,
    ) -> Result<SignIn, ClientError> {
        // Choice-based sign-in (`USER_AUTH`): its answers live in `user_auth.rs`.
        if let Some(result) = self.respond_user_auth(challenge, answer).await {
            return result;
        }
        self.respond_to_challenge_with(challenge, answer, &[]).await
    }

    /// [`respond_to_challenge`](Self::respond_to_challenge) with more `ChallengeResponses`
    /// (`DEVICE_KEY` of a remembered device), added where the answer has none of that name.
    pub(crate) async fn respond_to_challenge_with(
        &self,
        challenge: &Challenge,
        answer: &ChallengeAnswer,
        extra: &[(&str, &str)],
    ) -> Result<SignIn, ClientError> {
        const OP: &str = RESPOND_TO_AUTH_CHALLENGE;
        let mismatch = || {
            ClientError::new(
                OP,
                ClientErrorKind::InvalidInput("the answer does not fit the challenge"),
            )
        };
        let username = challenge.username();
        let mut session = challenge.session().expose();
        let mut responses: BTreeMap<String, &str> = BTreeMap::new();
        match (challenge, answer) {
            (
                Challenge::NewPasswordRequired { .. },
                ChallengeAnswer::NewPassword {
                    password,
                    attributes,
                },
            ) => {
                responses.insert("NEW_PASSWORD".to_owned(), password.expose());
                for attribute in attributes {
                    responses.insert(
                        format!("userAttributes.{}", attribute.name),
                        &attribute.value,
                    );
                }
            }
            (Challenge::SmsMfa { .. }, ChallengeAnswer::SmsMfaCode(code)) => {
                responses.insert("SMS_MFA_CODE".to_owned(), code.expose());
            }
            (Challenge::SoftwareTokenMfa { .. }, ChallengeAnswer::SoftwareTokenMfaCode(code)) => {
                responses.insert("SOFTWARE_TOKEN_MFA_CODE".to_owned(), code.expose());
            }
            (Challenge::SelectMfaType { .. }, ChallengeAnswer::SelectMfaType(choice)) => {
                responses.insert("ANSWER".to_owned(), choice.as_str());
            }
            (
                Challenge::MfaSetup { .. },
                ChallengeAnswer::MfaSetupDone {
                    session: verified_session,
                },
            ) => {
                session = verified_session.expose();
            }
            (_, ChallengeAnswer::Responses(raw)) => {
                for (name, value) in raw {
                    responses.insert(name.clone(), value.expose());
                }
            }
            _ => return Err(mismatch()),
        }
        responses.entry("USERNAME".to_owned()).or_insert(username);
        for (name, value) in extra {
            responses.entry((*name).to_owned()).or_insert(value);
        }
        let secret_hash = self.inner.secret_hash(username);
        if let Some(hash) = &secret_hash {
            responses
                .entry("SECRET_HASH".to_owned())
                .or_insert(hash.expose());
        }
        let body = wire::RespondToAuthChallengeRequest {
            challenge_name: challenge.name(),
            client_id: &self.inner.client_id,
            session: Some(session),
            challenge_responses: responses,
        };
        let answer: wire::AuthResponse = self.inner.call(OP, &body).await?;
        sign_in_from_wire(OP, answer, username, SystemTime::now())
    }

    /// New tokens from a refresh token, with `GetTokensFromRefreshToken` (which every app
    /// client accepts, and the only refresh of app clients with refresh-token rotation).
    ///
    /// When the app client rotates refresh tokens, the result carries the new refresh token:
    /// store it in place of `refresh_token`, which stops working after the app client's grace
    /// period (0 to 60 s; reusing it after that is
    /// [`CognitoErrorKind::RefreshTokenReuse`](super::CognitoErrorKind::RefreshTokenReuse)).
    /// Without rotation no refresh token comes back and the result carries `refresh_token`
    /// itself. A rotated refresh token keeps the expiry of the sign-in's. The client secret,
    /// if any, is sent as it is (`ClientSecret`), so no user name is needed.
    ///
    /// # Errors
    /// A [`ClientError`]: a revoked, expired or unknown refresh token is
    /// [`CognitoErrorKind::NotAuthorized`](super::CognitoErrorKind::NotAuthorized).
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<Tokens, ClientError> {
        let body = wire::GetTokensFromRefreshTokenRequest {
            refresh_token: refresh_token.expose(),
            client_id: &self.inner.client_id,
            client_secret: self.inner.client_secret.as_ref().map(Secret::expose),
        };
        let answer: wire::AuthResponse = self
            .inner
            .call(GET_TOKENS_FROM_REFRESH_TOKEN, &body)
            .await?;
        refreshed(GET_TOKENS_FROM_REFRESH_TOKEN, answer, refresh_token)
    }

    /// New access and ID tokens with `InitiateAuth`'s older `REFRESH_TOKEN_AUTH` flow: for
    /// emulators that lack `GetTokensFromRefreshToken` (cognito-local 5.3, moto 5.2); prefer
    /// [`refresh`](Self::refresh) everywhere else. Cognito refuses this flow on app clients
    /// with refresh-token rotation. The result carries `refresh_token` itself.
    ///
    /// `username` is needed only when the app client has a secret (for `SECRET_HASH`), and it
    /// must be the Cognito user name: the `username` claim of the access token
    /// (`cognito:username` of the ID token; for pools with alias sign-in often the `sub`),
    /// never an alias such as the email the user typed.
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] when the app client has a secret and no `username`
    /// was given; otherwise a [`ClientError`] (a revoked or expired refresh token is
    /// [`CognitoErrorKind::NotAuthorized`](super::CognitoErrorKind::NotAuthorized)).
    pub async fn refresh_token_auth(
        &self,
        refresh_token: &Secret,
        username: Option<&str>,
    ) -> Result<Tokens, ClientError> {
        let secret_hash = match (&self.inner.client_secret, username) {
            (None, _) => None,
            (Some(_), Some(username)) => self.inner.secret_hash(username),
            (Some(_), None) => {
                return Err(ClientError::new(
                    INITIATE_AUTH,
                    ClientErrorKind::InvalidInput(
                        "an app client with a secret needs the Cognito user name to refresh",
                    ),
                ));
            }
        };
        let mut parameters = BTreeMap::from([("REFRESH_TOKEN", refresh_token.expose())]);
        if let Some(hash) = &secret_hash {
            parameters.insert("SECRET_HASH", hash.expose());
        }
        let body = wire::InitiateAuthRequest {
            auth_flow: "REFRESH_TOKEN_AUTH",
            client_id: &self.inner.client_id,
            auth_parameters: parameters,
        };
        let answer: wire::AuthResponse = self.inner.call(INITIATE_AUTH, &body).await?;
        refreshed(INITIATE_AUTH, answer, refresh_token)
    }

    async fn initiate_auth(
        &self,
        flow: &'static str,
        parameters: BTreeMap<&str, &str>,
        username: &str,
    ) -> Result<SignIn, ClientError> {
        let body = wire::InitiateAuthRequest {
            auth_flow: flow,
            client_id: &self.inner.client_id,
            auth_parameters: parameters,
        };
        let answer: wire::AuthResponse = self.inner.call(INITIATE_AUTH, &body).await?;
        sign_in_from_wire(INITIATE_AUTH, answer, username, SystemTime::now())
    }
}

/// The tokens of a refresh, keeping `old` when no new refresh token came back.
pub(crate) fn refreshed(
    operation: &'static str,
    answer: wire::AuthResponse,
    old: &Secret,
) -> Result<Tokens, ClientError> {
    let result = answer.authentication_result.ok_or_else(|| {
        ClientError::protocol(
            operation,
            ProtocolError::MissingField("AuthenticationResult"),
        )
    })?;
    let mut tokens = Tokens::from_wire(operation, result, SystemTime::now())?;
    if tokens.refresh_token.is_none() {
        tokens.refresh_token = Some(old.clone());
    }
    Ok(tokens)
}

/// The `PASSWORD_VERIFIER` challenge in `answer` (of `operation`): `SALT`, `SRP_B`,
/// `SECRET_BLOCK`, `USER_ID_FOR_SRP`, and `USERNAME` (the internal user name; `USER_ID_FOR_SRP`
/// when absent).
pub(crate) fn password_verifier_challenge<'a>(
    operation: &'static str,
    answer: &'a wire::AuthResponse,
) -> Result<PasswordVerifierChallenge<'a>, ClientError> {
    let params = &answer.challenge_parameters;
    let param = |name: &'static str| {
        params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| ClientError::protocol(operation, ProtocolError::MissingField(name)))
    };
    let user_id_for_srp = param("USER_ID_FOR_SRP")?;
    let username = params
        .get("USERNAME")
        .map(String::as_str)
        .unwrap_or(user_id_for_srp);
    Ok(PasswordVerifierChallenge {
        salt_hex: param("SALT")?,
        srp_b_hex: param("SRP_B")?,
        secret_block_b64: param("SECRET_BLOCK")?,
        user_id_for_srp,
        username,
    })
}
